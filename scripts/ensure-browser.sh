#!/bin/sh
# Browser tests need Debian's Chromium (Playwright cannot download its own browser here) and a
# Japanese font for readable screenshots. Install them when missing; fail loudly otherwise.
set -e
CHROMIUM=${SASAEAI_CHROMIUM:-/usr/bin/chromium}
need=""
[ -x "$CHROMIUM" ] || need="chromium"
fc-list 2>/dev/null | grep -qi "IPAGothic\|IPAゴシック" || need="$need fonts-ipafont-gothic"
[ -n "$need" ] || exit 0
echo "ブラウザテストに必要なパッケージを入れます / installing:$need"
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "root 権限がないため入れられません。管理者に apt-get install$need を依頼してください。" >&2; exit 1; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
[ -x "$CHROMIUM" ] || { echo "Chromium ($CHROMIUM) が見つかりません。" >&2; exit 1; }
