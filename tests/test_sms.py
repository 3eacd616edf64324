import pytest

from core import sms
from core.errors import InvalidInput


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_phone_normalised(raw, clean):
    assert sms.normalise_phone(raw) == clean


@pytest.mark.parametrize("raw", ["", "12345", "23812345678", "1381234567a"])
def test_bad_phone_refused_in_chinese(raw):
    with pytest.raises(InvalidInput) as exc:
        sms.normalise_phone(raw)
    assert "手机号" in exc.value.message


def test_code_round_trip_and_tries():
    sms.send_code("13900001111", "vote")
    code = sms.last_code_for("13900001111")
    assert code and len(code) == 6
    assert not sms.verify_code("13900001111", "vote", "000000" if code != "000000" else "111111")
    assert not sms.is_verified("13900001111", "vote")
    assert sms.verify_code("13900001111", "vote", code)
    assert sms.is_verified("13900001111", "vote")
    assert not sms.is_verified("13900001111", "submit")
    # a used code cannot be used again
    assert not sms.verify_code("13900001111", "vote", code)


def test_code_locked_after_five_wrong_tries():
    sms.send_code("13900002222", "vote")
    code = sms.last_code_for("13900002222")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(sms.MAX_TRIES):
        assert not sms.verify_code("13900002222", "vote", wrong)
    assert not sms.verify_code("13900002222", "vote", code)
