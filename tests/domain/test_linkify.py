"""Addresses in messages and news become links: one filter, ``linkify``,
escapes the text and links web and email addresses found by linkify-it-py, each
with ``rel="noopener"``; nothing else becomes a link or markup."""
from domain.formats import linkify


def test_web_and_email_addresses_become_links_with_noopener():
    html = str(linkify("Voir https://mairie.example.org/a?b=1&c=2, puis écrire à "
                       "alae@mairie.example.org."))
    assert html == ('Voir <a href="https://mairie.example.org/a?b=1&amp;c=2" rel="noopener">'
                    'https://mairie.example.org/a?b=1&amp;c=2</a>, puis écrire à '
                    '<a href="mailto:alae@mairie.example.org" rel="noopener">'
                    'alae@mairie.example.org</a>.')


def test_html_stays_text_and_other_schemes_are_not_links():
    html = str(linkify('<script>alert(1)</script> <a href="x">y</a> javascript:alert(1) '
                       'ftp://example.org/f'))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '&lt;a href=&#34;x&#34;&gt;' in html
    assert "<a " not in html


def test_a_link_cannot_break_out_of_its_attribute():
    html = str(linkify('https://example.org/"onmouseover="alert(1)'))
    assert html.count('"') == 4  # href="…" and rel="noopener" only


def test_empty_text():
    assert str(linkify("")) == "" and str(linkify(None)) == ""
