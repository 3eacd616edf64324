"""Demo data for this app (filled by its issue)."""


def seed() -> str:
    return "尚无演示数据"
