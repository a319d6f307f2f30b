"""pipeline.text.boilerplate on pages written for the purpose: which lines are the article, how lines are
split, and which lines count as repeated across a corpus."""
from __future__ import annotations

from pipeline.text.boilerplate import MainTextSettings, article_lines, main_text, page_language, repeated_lines

PROSE = [
    "Der Gemeinderat hat am Dienstagabend beschlossen, die alte Schule am Marktplatz zu einem Bürgerhaus "
    "umzubauen, in dem auch die Bibliothek und ein Café Platz finden sollen.",
    "Die Kosten werden auf rund vier Millionen Euro geschätzt, von denen das Land mehr als die Hälfte "
    "übernehmen will, wie der Bürgermeister nach der Sitzung sagte.",
    "Mit dem Umbau soll im kommenden Frühjahr begonnen werden, wenn die letzten Klassen in den Neubau am "
    "Stadtrand umgezogen sind und die Ausschreibung abgeschlossen ist.",
    "Kritik kam von der Opposition, die einen Verkauf des Gebäudes vorgeschlagen hatte, weil sie die "
    "laufenden Kosten für die Stadt auf Dauer für zu hoch hält.",
]
MENU = ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur", "Wetter", "Anmelden"]
TEASERS = [
    "Neues Hallenbad öffnet im Herbst", "Stadtfest lockt Tausende in die Innenstadt",
    "Polizei sucht Zeugen nach Unfall", "Kita-Gebühren steigen ab Januar", "Radweg an der B 27 wird gesperrt",
]
FOOTER = ["Impressum", "Datenschutz", "Kontakt", "Nach oben"]


def _mask(lines: list[str]) -> list[bool]:
    return main_text(lines, page_language(lines), MainTextSettings()).keep


def test_the_article_stays_with_its_subheading_and_menus_teasers_and_footer_go() -> None:
    page = [*MENU, "Schule wird Bürgerhaus", *PROSE[:2], "Baubeginn im Frühjahr", *PROSE[2:], "Mehr zum Thema",
            *TEASERS, *FOOTER]
    kept = [line for line, keep in zip(page, _mask(page)) if keep]
    assert kept == [*PROSE[:2], "Baubeginn im Frühjahr", *PROSE[2:]]


def test_an_article_split_by_a_gallery_keeps_both_parts() -> None:
    gallery = [f"Bild {number} von 8: Schulgebäude Marktplatz Fassade Eingang Treppenhaus Aula" for number in range(1, 9)]
    page = [*MENU, *PROSE[:2], *gallery, *PROSE[2:], *FOOTER]
    kept = [line for line, keep in zip(page, _mask(page)) if keep]
    assert kept == PROSE


def test_lines_known_as_boilerplate_never_stay() -> None:
    notice = "Dieser Artikel erschien zuerst in unserer gedruckten Ausgabe, die Sie jeden Morgen am Kiosk finden."
    page = [*MENU, PROSE[0], notice, *PROSE[1:], *FOOTER]
    assert notice in [line for line, keep in zip(page, _mask(page)) if keep]
    mask = main_text(page, page_language(page), MainTextSettings(), boilerplate={notice}).keep
    assert [line for line, keep in zip(page, mask) if keep] == PROSE


def test_the_stoplist_is_the_page_language() -> None:
    assert page_language(PROSE) == "German"
    assert page_language(["Il consiglio comunale ha deciso di trasformare la vecchia scuola in una casa per tutti."]) == "Italian"


def test_hard_wrapped_lines_are_joined_but_not_menu_items_nor_html_paragraphs() -> None:
    wrapped = "Der Gemeinderat hat am Dienstagabend beschlossen, die\nalte Schule umzubauen.\nZweiter Satz."
    assert article_lines(wrapped, "txt") == [
        "Der Gemeinderat hat am Dienstagabend beschlossen, die alte Schule umzubauen.", "Zweiter Satz."
    ]
    assert article_lines("Startseite\nPolitik\n\n  Sport  ", "txt") == ["Startseite", "Politik", "Sport"]
    assert article_lines("\ufeffSchule wird Bürgerhaus | Zeitung\n\nText.", "txt")[0] == "Schule wird Bürgerhaus | Zeitung"
    # trafilatura puts each paragraph of the HTML on a line of its own.
    assert article_lines("LESEN SIE AUCH: eine Überschrift ohne Punkt am Ende\nEin Satz.", "html") == [
        "LESEN SIE AUCH: eine Überschrift ohne Punkt am Ende", "Ein Satz."
    ]
    assert article_lines("# Titel\nerste Zeile\nzweite Zeile\n\n- Punkt\n- Punkt 2", "md") == [
        "Titel", "erste Zeile zweite Zeile", "- Punkt", "- Punkt 2"
    ]


def test_a_headline_above_the_first_paragraph_is_not_glued_to_it() -> None:
    headline = "Bahn-Streik legt den Fernverkehr in ganz Deutschland lahm"
    page = f"Teilen auf Facebook\n{headline}\nDie Lokführer streiken seit Montag früh.\n{PROSE[0]}"
    assert article_lines(page, "txt")[:3] == ["Teilen auf Facebook", headline, "Die Lokführer streiken seit Montag früh."]
    # Prose wrapped after a word that cannot end a phrase goes on in the next line, capital or not.
    wrapped = "Die Kosten werden auf rund vier Millionen Euro und die\nUmbauzeit auf zwei Jahre geschätzt."
    assert article_lines(wrapped, "txt") == [wrapped.replace("\n", " ")]


def test_a_line_in_many_articles_is_repeated_but_not_in_copies_of_one_story() -> None:
    newsletter = "Jetzt den Newsletter abonnieren"
    articles = [[f"Eigener Text des Artikels Nummer {number}.", newsletter] for number in range(3)]
    assert repeated_lines(articles, 3) == [{newsletter}] * 3
    assert repeated_lines(articles, 4) == [set()] * 3
    # One agency story on three sites: its paragraphs are in all three, and so is its longest line.
    story = [PROSE[0], PROSE[1]]
    copies = [[site, *story] for site in ("Seite A", "Seite B", "Seite C")]
    assert repeated_lines(copies, 3) == [set()] * 3


def test_the_article_keeps_the_last_item_of_its_numbered_list_but_not_a_numbered_teaser_list() -> None:
    steps = [f"{number}. Schritt: {PROSE[number - 1]}" for number in range(1, 5)]
    last = "5. Zum Schluss alles gut umrühren"
    most_read = ["1. Hallenbad öffnet im Herbst", "2. Stadtfest lockt Tausende", "3. Polizei sucht Zeugen"]
    page = [*MENU, *PROSE, *steps, last, "Meistgelesen", *most_read, *FOOTER]
    kept = [line for line, keep in zip(page, _mask(page)) if keep]
    assert kept == [*PROSE, *steps, last]


def test_a_live_tickers_last_entry_stays_across_the_minute_lines() -> None:
    entries = [
        "The hosts press high from the first whistle and win three corners in a row.",
        "A long ball over the top finds the striker, but his shot goes just wide of the post.",
        "The visitors keep the ball for long spells without creating a chance.",
        "Both teams feel each other out at the start.",
    ]
    page = ["Home", "Football", "Live", "12'", entries[0], "9'", entries[1], "6'", "4'", entries[2], "2'", entries[3],
            "0' First half", "Latest", "All sports", "Contact"]
    kept = [line for line, keep in zip(page, _mask(page)) if keep]
    # The minute lines inside the article may stay; the entries all do, the page's furniture does not.
    assert [line for line in kept if line not in ("9'", "6'", "4'", "2'")] == entries


def test_an_embedded_posts_attribution_stays_with_the_article() -> None:
    post = "Die Schule bleibt! Wir sehen uns am Montag um acht vor dem Rathaus, bringt eure Eltern mit https://t.co/x1"
    attribution = "— Elternbeirat Marktschule (@eltern_markt) March 3, 2024"
    page = [*MENU, *PROSE, post, attribution, "Anna Muster", "*Name von der Redaktion geändert", *FOOTER]
    kept = [line for line, keep in zip(page, _mask(page)) if keep]
    assert kept == [*PROSE, post, attribution]
