"""晒清单: the public board of commitments (built on the commitments app once merged)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


def board_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "participation/board.html",
        {
            "wish_counts": selectors.wish_counts(),
            "polls": selectors.public_polls()[:3],
        },
    )
