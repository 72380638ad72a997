// The one script the app ships: a "print" button (CSP forbids inline onclick handlers).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
