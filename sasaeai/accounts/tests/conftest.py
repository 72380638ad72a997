import pytest


@pytest.fixture
def totp_code():
    """The current 6-digit code of a TOTP device (what the authenticator app shows)."""
    import time

    from django_otp.oath import TOTP

    def code(device, offset=0):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time() + offset * device.step
        return f"{totp.token():06d}"

    return code


@pytest.fixture
def confirmed_device(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(user):
        return TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=True)

    return make
