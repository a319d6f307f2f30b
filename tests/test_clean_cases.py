"""Short pages in five languages (a menu, share buttons, a headline, five article sentences, a footer), as
an editor's scraper hands them over: every sentence of the article survives clean, and the title is the
headline, neither a share button nor glued to the first paragraph. Each page has a sentence that a rule
keyed on a leading word or a trailing credit would take for a teaser or a caption."""
from __future__ import annotations

import pytest

from pipeline.stages.clean import DEFAULT_RULES_PATH, clean_article, load_rules
from pipeline.text.headline import find_headline

PAGES = {
    "de": {
        "menu": ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur"],
        "share": ["Teilen auf Facebook", "Artikel auf Facebook teilen", "Per E-Mail senden"],
        "headline": "Bahn meldet mehr Fahrgäste im Fernverkehr als je zuvor",
        "sentences": [
            "Die Deutsche Bahn hat im vergangenen Jahr so viele Fahrgäste im Fernverkehr befördert wie noch nie.",
            "Die Bahn bestätigte die Zahlen am Montag (dpa).",
            "Mehr als 150 Millionen Menschen fuhren demnach mit ICE und Intercity, ein Plus von zwölf Prozent.",
            "Lesen Sie die Bilanz selbst: Die Pünktlichkeit ist im selben Zeitraum weiter gesunken.",
            "Der Fahrgastverband fordert deshalb mehr Geld für das Schienennetz und neue Züge.",
        ],
        "footer": ["Impressum", "Datenschutz", "Kontakt", "© 2024 Zeitung"],
    },
    "en": {
        "menu": ["Home", "World", "Business", "Sport", "Culture"],
        "share": ["Share on Facebook", "Post this story on Facebook", "Send by email"],
        "headline": "City council approves new bus lanes for the town centre",
        "sentences": [
            'Lee told reporters on Tuesday: "We will start building the first lanes in the spring."',
            "See the figures for yourself: unemployment rose in the town for the third month in a row.",
            "The council voted by a large majority for the plan, which had been debated for two years.",
            "Shop owners had warned that fewer parking spaces would keep customers away from the centre.",
            "Netanyahu pledged to form a new governing coalition quickly after an upset election victory. (Reuters)",
        ],
        "footer": ["Privacy policy", "Terms of use", "Contact us", "© 2024 The Paper"],
    },
    "it": {
        "menu": ["Home", "Cronaca", "Politica", "Economia", "Sport"],
        "share": ["Condividi su Facebook", "Manda questo articolo via email", "Invia per email"],
        "headline": "Il comune approva le nuove corsie per gli autobus in centro",
        "sentences": [
            "Il consiglio comunale ha approvato ieri sera il piano per le nuove corsie degli autobus in centro.",
            "Leggi severe: il governo ha approvato lunedì un pacchetto di norme contro l'evasione fiscale (ANSA).",
            "Guarda caso, i lavori cominceranno proprio a ridosso delle elezioni comunali della prossima primavera.",
            "I commercianti temono che la riduzione dei parcheggi allontani i clienti dai negozi del centro.",
            "Il sindaco ha promesso un incontro con le associazioni di categoria entro la fine del mese.",
        ],
        "footer": ["Privacy", "Contatti", "Tutti i diritti riservati", "© 2024 Il Giornale"],
    },
    "fr": {
        "menu": ["Accueil", "Politique", "Économie", "Sport", "Culture"],
        "share": ["Partager sur Facebook", "Envoyer cet article par e-mail", "Envoyer par e-mail"],
        "headline": "La mairie approuve de nouvelles voies de bus dans le centre",
        "sentences": [
            "Le conseil municipal a approuvé mardi soir le projet de nouvelles voies de bus dans le centre-ville.",
            "Lire entre les lignes : le maire n'a pas exclu une hausse des impôts locaux l'an prochain.",
            "Voir les chiffres suffit : le trafic a augmenté de dix pour cent en deux ans, selon la mairie (AFP).",
            "Les commerçants craignent que la suppression de places de stationnement éloigne leurs clients.",
            "Les travaux doivent commencer au printemps et durer environ dix-huit mois au total.",
        ],
        "footer": ["Mentions légales", "Contact", "Tous droits réservés", "© 2024 Le Journal"],
    },
    "es": {
        "menu": ["Inicio", "Política", "Economía", "Deportes", "Cultura"],
        "share": ["Compartir en Facebook", "Enviar este artículo por correo", "Enviar por correo"],
        "headline": "El ayuntamiento aprueba nuevos carriles de autobús en el centro",
        "sentences": [
            "El pleno del ayuntamiento aprobó el martes el plan de nuevos carriles de autobús en el centro.",
            "Más de trescientas familias: ese es el balance provisional de las inundaciones según la alcaldía.",
            "Lee el informe quien quiera: el tráfico creció un diez por ciento en solo dos años (EFE).",
            "Mira el alcalde a los comerciantes, que temen perder clientes por la falta de aparcamiento.",
            "Las obras comenzarán en primavera y durarán unos dieciocho meses en total.",
        ],
        "footer": ["Aviso legal", "Contacto", "Todos los derechos reservados", "© 2024 El Diario"],
    },
}


def _page(language: str, title_line: bool) -> str:
    parts = PAGES[language]
    first = [f"{parts['headline']} | Zeitung"] if title_line else []
    # One line per block, as a scraper that does not leave blank lines between them hands pages over.
    return "\n".join([*first, *parts["menu"], *parts["share"], parts["headline"], *parts["sentences"], *parts["footer"]])


@pytest.mark.parametrize("title_line", [False, True], ids=["no title line", "title line"])
@pytest.mark.parametrize("language", sorted(PAGES))
def test_every_sentence_stays_and_the_headline_is_the_title(language: str, title_line: bool) -> None:
    article = clean_article(_page(language, title_line), "txt", load_rules(DEFAULT_RULES_PATH))
    assert article.title == PAGES[language]["headline"]
    assert article.text.split("\n\n") == PAGES[language]["sentences"]


@pytest.mark.parametrize("language", sorted(PAGES))
def test_share_buttons_and_menus_are_never_the_headline(language: str) -> None:
    # Without the rules that drop share buttons: the headline finder alone tells them from the headline.
    parts = PAGES[language]
    lines = [*parts["menu"], *parts["share"], parts["headline"], *parts["sentences"]]
    article_start = lines.index(parts["sentences"][0])
    assert lines[find_headline(lines, article_start, 150)] == parts["headline"]
    assert find_headline([*parts["menu"], *parts["share"], *parts["sentences"]], article_start - 1, 150) is None


@pytest.mark.parametrize("language", sorted(PAGES))
def test_the_standfirst_under_the_headline_stays(language: str) -> None:
    # The summary under the headline, often without a full stop, then a byline, a date and buttons above
    # the text: with them it makes a run of lines that do not end like sentences, as a menu does.
    parts = PAGES[language]
    standfirst = parts["sentences"][0].rstrip(".")
    byline = ["Anna Muster", "Redaktion Stadt", "12:30", "3 Kommentare"]
    lines = [f"{parts['headline']} | Zeitung", *parts["menu"], parts["headline"], standfirst, *byline,
             *parts["sentences"][1:], *parts["footer"]]
    article = clean_article("\n\n".join(lines), "txt", load_rules(DEFAULT_RULES_PATH))
    assert article.title == parts["headline"]
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0] == standfirst and set(parts["sentences"][1:]) <= set(paragraphs)
