import pytest

from cases.masking import mask_id_number, mask_name, mask_phone, public_place


def test_mask_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧**"
    assert mask_name("张") == "张**"
    assert mask_name("") == ""


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("") == ""


def test_mask_id_number():
    assert mask_id_number("110101199003071234") == "110***********1234"


@pytest.mark.django_db
def test_public_place_stops_at_village(node):
    grid = node("T01V01G1")
    village = node("T01V01")
    assert public_place(grid) == public_place(village)
    assert public_place(village).endswith(village.name)
    assert grid.name not in public_place(grid)
