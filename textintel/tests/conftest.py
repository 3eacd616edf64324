import pytest

from textintel import classify, duplicates


@pytest.fixture(autouse=True)
def textintel_dir(settings, tmp_path):
    """Each test gets its own model directory and empty in-process indexes
    (the database is rolled back between tests, the memory is not)."""
    settings.TEXTINTEL_DIR = tmp_path / "models"
    duplicates.reset()
    classify.forget_models()
    yield settings.TEXTINTEL_DIR
    duplicates.reset()
    classify.forget_models()
