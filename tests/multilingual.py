"""A small multilingual corpus written for the keyword tests: five languages, each on a
topic of its own (German tax law, Italian cooking, French astronomy, Spanish football,
English beekeeping), with the function words of each language that an English-only stop
list keeps, and the words that name each topic."""

from __future__ import annotations

CORPUS = {
    "de": [
        "Die Steuererklärung muss bis zum Ende des Jahres beim Finanzamt eingereicht werden, "
        "und der Steuerpflichtige kann dabei Werbungskosten und Sonderausgaben von seinem Einkommen abziehen.",
        "Das Finanzamt prüft die Steuererklärung und erlässt einen Steuerbescheid; gegen den Bescheid ist "
        "ein Einspruch innerhalb eines Monats möglich, wenn der Steuerpflichtige die Steuer für zu hoch hält.",
        "Die Einkommensteuer ist eine Steuer auf das Einkommen natürlicher Personen, und der Steuersatz "
        "steigt mit dem Einkommen; die Umsatzsteuer dagegen wird auf den Umsatz der Unternehmen erhoben.",
        "Wer als Steuerpflichtiger die Frist für die Steuererklärung versäumt, muss mit einem Verspätungszuschlag "
        "rechnen, den das Finanzamt nach dem Ermessen der Behörde festsetzt.",
        "Das Steuerrecht unterscheidet zwischen direkten und indirekten Steuern: die Einkommensteuer ist eine "
        "direkte Steuer, die Umsatzsteuer eine indirekte, die der Unternehmer an das Finanzamt abführt.",
        "Der Steuerbescheid des Finanzamts nennt das zu versteuernde Einkommen und die festgesetzte Steuer, "
        "und der Steuerpflichtige kann eine Erstattung erhalten, wenn die Vorauszahlungen zu hoch waren.",
    ],
    "it": [
        "Per preparare la pasta alla carbonara si cuociono gli spaghetti in acqua salata, mentre il guanciale "
        "rosola in padella finché non diventa croccante.",
        "Il ragù alla bolognese richiede una cottura lenta: la carne macinata, il pomodoro e il soffritto di "
        "cipolla, carota e sedano cuociono in pentola per almeno tre ore.",
        "Nella ricetta del risotto il riso si tosta nella pentola con il burro, poi si aggiunge il brodo caldo "
        "un mestolo alla volta e alla fine si manteca con il parmigiano.",
        "La pizza napoletana ha un impasto di farina, acqua, lievito e sale che deve lievitare a lungo prima "
        "della cottura nel forno a legna, con pomodoro e mozzarella.",
        "Per la carbonara non si usa la panna: le uova sbattute con il pecorino e il pepe si mescolano alla "
        "pasta fuori dal fuoco, insieme al guanciale croccante.",
        "Il pesto alla genovese si prepara nel mortaio con basilico, pinoli, aglio, parmigiano, pecorino e olio "
        "extravergine, e condisce la pasta senza cottura.",
    ],
    "fr": [
        "Le télescope spatial observe les galaxies lointaines dont la lumière a voyagé pendant des milliards "
        "d'années avant d'atteindre nos instruments.",
        "Une étoile naît dans un nuage de gaz et de poussière qui s'effondre sous sa propre gravité, puis la "
        "fusion nucléaire s'allume dans son noyau.",
        "Les planètes du système solaire tournent autour du Soleil sur des orbites elliptiques, et les "
        "astronomes mesurent leurs orbites avec une grande précision.",
        "Un trou noir est une région de l'espace où la gravité est si forte que même la lumière ne peut s'en "
        "échapper; les astronomes l'observent par son effet sur les étoiles voisines.",
        "La Voie lactée est une galaxie spirale qui compte des centaines de milliards d'étoiles, et le télescope "
        "révèle ses bras de gaz et de poussière.",
        "Les astronomes ont découvert des milliers d'exoplanètes en orbite autour d'autres étoiles grâce au "
        "télescope et à la mesure de la lumière stellaire.",
    ],
    "es": [
        "El delantero marcó un gol en el último minuto del partido y el equipo local ganó el campeonato de liga "
        "ante su afición.",
        "El entrenador cambió la táctica en el descanso: el equipo presionó más arriba y el portero rival tuvo "
        "que detener tres disparos.",
        "En el fútbol moderno el centrocampista organiza el juego del equipo, recupera el balón y busca el pase "
        "al delantero.",
        "El árbitro señaló un penalti en el partido y el delantero lo transformó en gol, con el portero lanzado "
        "hacia el otro palo.",
        "La liga española reúne a veinte equipos que juegan partidos de ida y vuelta, y el campeón es el equipo "
        "con más puntos al final de la temporada.",
        "El portero del equipo visitante paró un penalti y el entrenador celebró el empate en un partido de "
        "fútbol muy disputado.",
    ],
    "en": [
        "The beekeeper opens the hive in spring to check that the queen is laying eggs and that the colony has "
        "enough honey stored.",
        "Worker bees collect nectar and pollen from flowers and turn the nectar into honey, which they store in "
        "the wax comb of the hive.",
        "A strong colony may swarm in early summer: the old queen leaves the hive with half the bees, and the "
        "beekeeper tries to catch the swarm.",
        "Varroa mites weaken a colony of bees, so the beekeeper treats the hive in late summer after the honey "
        "harvest.",
        "To harvest honey the beekeeper removes the frames of comb from the hive, uncaps the wax and spins the "
        "honey out in an extractor.",
        "In winter the bees cluster around the queen inside the hive and live on the honey they stored, and the "
        "beekeeper keeps the colony dry.",
    ],
}

# Words that name each topic (lower case, as keywords are).
TOPIC_WORDS = {
    "de": {"steuererklärung", "finanzamt", "steuerpflichtige", "steuer", "einkommen", "steuerbescheid",
           "einkommensteuer", "umsatzsteuer", "steuerpflichtiger", "steuern", "steuerrecht", "bescheid"},
    "it": {"pasta", "carbonara", "guanciale", "cottura", "pomodoro", "parmigiano", "pecorino", "pentola",
           "croccante", "risotto", "pizza", "spaghetti", "ragù", "pesto", "basilico", "riso"},
    "fr": {"télescope", "galaxies", "galaxie", "étoiles", "étoile", "lumière", "astronomes", "gravité",
           "orbites", "orbite", "planètes", "exoplanètes", "poussière", "gaz", "milliards"},
    "es": {"delantero", "gol", "partido", "equipo", "portero", "penalti", "entrenador", "liga", "fútbol",
           "campeonato", "partidos", "equipos"},
    "en": {"beekeeper", "hive", "honey", "colony", "queen", "bees", "comb", "nectar", "swarm", "wax"},
}

# Function words of each language that must never name a cluster.
FUNCTION_WORDS = {
    "und", "der", "die", "das", "ist", "den", "dem", "des", "ein", "eine", "einen", "mit", "wenn", "für", "zu",
    "che", "non", "una", "il", "la", "di", "per", "con", "si", "alla", "nella", "della", "gli", "poi",
    "le", "les", "des", "est", "une", "dans", "qui", "sur", "pour", "avec", "leurs", "que", "son",
    "el", "los", "las", "es", "que", "del", "con", "en", "por", "más", "muy", "ante",
    "the", "and", "that", "with", "which", "they", "from", "into", "after",
}


def rows() -> list[dict]:
    """The corpus as records: id, text, and the language it is written in."""
    return [{"id": f"{lang}-{i}", "text": text, "language": lang}
            for lang, texts in CORPUS.items() for i, text in enumerate(texts)]
