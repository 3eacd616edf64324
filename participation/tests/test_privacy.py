"""No requester's name, phone, ID number or exact address on any public page.

Loads the whole demo (every app's seeder), crawls every public URL reachable from
the home page, and asserts that no private contact value appears in any body,
and that public photos carry no metadata.
"""

from __future__ import annotations

import io
import re
from importlib import import_module
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

PRIVATE_PREFIXES = ("/staff/", "/accounts/", "/admin/", "/me/", "/api/", "/static/")
MAX_PAGES = 1500


def _private_values() -> set[str]:
    """Every requester contact value stored by any app (names, phones, ID numbers, addresses)."""
    values: set[str] = set()
    wanted = {"name", "phone", "id_number", "address"}
    for model in apps.get_models():
        if not model.__name__.endswith("Contact"):
            continue
        fields = [f.name for f in model._meta.fields if f.name in wanted]
        for row in model.objects.values_list(*fields):
            values.update(v for v in row if v and len(v) >= 2)
    for model in apps.get_models():  # exact addresses kept on items themselves (cases)
        if "address" in {f.name for f in model._meta.fields} and not model.__name__.endswith(
            "Contact"
        ):
            values.update(
                v for v in model.objects.values_list("address", flat=True) if v and len(v) >= 4
            )
    # A two-character requester name may sit inside a public official's name (黄国 in
    # 黄国平, a 牵头领导); officials, staff and org names are public by design.
    public = set(apps.get_model("orgs", "User").objects.values_list("full_name", flat=True))
    public |= set(apps.get_model("orgs", "OrgNode").objects.values_list("name", flat=True))
    try:
        public |= set(
            apps.get_model("commitments", "Commitment").objects.values_list(
                "lead_official", flat=True
            )
        )
    except LookupError:
        pass
    public = {p for p in public if p}
    return {v for v in values if not any(v in p for p in public)}


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src|hx-get)="([^"]+)"', html)


def _exif_photo() -> SimpleUploadedFile:
    from PIL import Image

    img = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = "王秀英 13712345678 幸福路8号"  # ImageDescription
    exif[0x013B] = "王秀英"  # Artist
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("王秀英_13712345678.jpg", buf.getvalue(), content_type="image/jpeg")


def _seed_all(office):
    for dotted in settings.DEMO_SEEDERS:
        import_module(dotted).seed()


def test_crawl_public_pages_for_personal_data(client, office, make_user):
    from participation import services
    from participation.models import MicroWish

    _seed_all(office)
    # A proof photo whose metadata and file name hold the wisher's name and phone.
    wish = MicroWish.objects.filter(state="claimed").select_related("claimant").first()
    services.wish_fulfil(
        actor=wish.claimant, wish=wish, fulfilment="已送达", evidence=[_exif_photo()]
    )
    private = _private_values()
    private |= {"王秀英", "13712345678", "幸福路8号"}
    assert len(private) > 300  # the demo holds contacts: the check is not empty

    seen: set[str] = set()
    queue = ["/"]
    checked_images = 0
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code in (200, 302, 404), url
        if r.status_code != 200:
            continue
        ctype = r.get("Content-Type", "")
        body = r.content
        if ctype.startswith("image/"):
            from PIL import Image

            img = Image.open(io.BytesIO(body))
            assert not img.getexif(), f"metadata in {url}"
            assert not img.info.get("exif"), f"metadata in {url}"
            checked_images += 1
            text = body.decode("latin-1")
        else:
            text = body.decode("utf-8", errors="replace")
        for value in private:
            assert value not in text, f"{value!r} on public page {url}"
        assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text), f"a phone number on {url}"
        if "html" not in ctype:
            continue
        for link in _links(text):
            link = urldefrag(urljoin(url, link.replace("&amp;", "&")))[0]
            parsed = urlparse(link)
            if parsed.netloc and parsed.netloc != "testserver":
                continue
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if path.startswith(PRIVATE_PREFIXES) or path in seen:
                continue
            # Pages deep in a paginated list add nothing new: keep the crawl bounded.
            if re.search(r"[?&]page=([3-9]|\d\d)", path):
                continue
            queue.append(path)
    assert len(seen) > 150, "the crawl found too few public pages"
    assert checked_images >= 1
    assert any(u.startswith("/wishes/") for u in seen)
    assert any(u.startswith("/polls/") for u in seen)
