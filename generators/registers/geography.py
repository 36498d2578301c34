"""Denmark's 98 municipalities (``kom``) and the five regions (``reg``) they belong to.

Codes are Statistics Denmark's municipality and region codes, valid since the
2007 local-government reform (DST classification "Kommuner og regioner"). The
population column is the approximate number of residents (Statistics Denmark,
FOLK1A, 2024, rounded) and only weights where simulated persons live.
"""

from __future__ import annotations

import numpy as np

# reg: region code -> name, as BEF codes it.
REGIONS: dict[str, str] = {
    "81": "Nordjylland",
    "82": "Midtjylland",
    "83": "Syddanmark",
    "84": "Hovedstaden",
    "85": "Sjælland",
}

# (kom, name, reg, approximate residents)
MUNICIPALITIES: tuple[tuple[str, str, str, int], ...] = (
    # Region Hovedstaden (29)
    ("101", "København", "84", 660_000),
    ("147", "Frederiksberg", "84", 104_000),
    ("151", "Ballerup", "84", 52_000),
    ("153", "Brøndby", "84", 39_000),
    ("155", "Dragør", "84", 14_500),
    ("157", "Gentofte", "84", 75_000),
    ("159", "Gladsaxe", "84", 70_000),
    ("161", "Glostrup", "84", 24_000),
    ("163", "Herlev", "84", 30_000),
    ("165", "Albertslund", "84", 28_000),
    ("167", "Hvidovre", "84", 54_000),
    ("169", "Høje-Taastrup", "84", 52_000),
    ("173", "Lyngby-Taarbæk", "84", 57_000),
    ("175", "Rødovre", "84", 41_000),
    ("183", "Ishøj", "84", 24_000),
    ("185", "Tårnby", "84", 44_000),
    ("187", "Vallensbæk", "84", 17_000),
    ("190", "Furesø", "84", 42_000),
    ("201", "Allerød", "84", 26_000),
    ("210", "Fredensborg", "84", 41_000),
    ("217", "Helsingør", "84", 64_000),
    ("219", "Hillerød", "84", 53_000),
    ("223", "Hørsholm", "84", 25_000),
    ("230", "Rudersdal", "84", 58_000),
    ("240", "Egedal", "84", 44_000),
    ("250", "Frederikssund", "84", 46_000),
    ("260", "Halsnæs", "84", 32_000),
    ("270", "Gribskov", "84", 42_000),
    ("400", "Bornholm", "84", 39_000),
    # Region Sjælland (17)
    ("253", "Greve", "85", 51_000),
    ("259", "Køge", "85", 62_000),
    ("265", "Roskilde", "85", 90_000),
    ("269", "Solrød", "85", 24_000),
    ("306", "Odsherred", "85", 33_000),
    ("316", "Holbæk", "85", 73_000),
    ("320", "Faxe", "85", 38_000),
    ("326", "Kalundborg", "85", 49_000),
    ("329", "Ringsted", "85", 36_000),
    ("330", "Slagelse", "85", 80_000),
    ("336", "Stevns", "85", 24_000),
    ("340", "Sorø", "85", 31_000),
    ("350", "Lejre", "85", 29_000),
    ("360", "Lolland", "85", 40_000),
    ("370", "Næstved", "85", 84_000),
    ("376", "Guldborgsund", "85", 60_000),
    ("390", "Vordingborg", "85", 46_000),
    # Region Syddanmark (22)
    ("410", "Middelfart", "83", 39_000),
    ("420", "Assens", "83", 41_000),
    ("430", "Faaborg-Midtfyn", "83", 52_000),
    ("440", "Kerteminde", "83", 24_000),
    ("450", "Nyborg", "83", 32_000),
    ("461", "Odense", "83", 208_000),
    ("479", "Svendborg", "83", 59_000),
    ("480", "Nordfyns", "83", 30_000),
    ("482", "Langeland", "83", 12_000),
    ("492", "Ærø", "83", 6_000),
    ("510", "Haderslev", "83", 56_000),
    ("530", "Billund", "83", 27_000),
    ("540", "Sønderborg", "83", 74_000),
    ("550", "Tønder", "83", 37_000),
    ("561", "Esbjerg", "83", 116_000),
    ("563", "Fanø", "83", 3_500),
    ("573", "Varde", "83", 50_000),
    ("575", "Vejen", "83", 43_000),
    ("580", "Aabenraa", "83", 59_000),
    ("607", "Fredericia", "83", 52_000),
    ("621", "Kolding", "83", 95_000),
    ("630", "Vejle", "83", 122_000),
    # Region Midtjylland (19)
    ("615", "Horsens", "82", 98_000),
    ("657", "Herning", "82", 90_000),
    ("661", "Holstebro", "82", 59_000),
    ("665", "Lemvig", "82", 19_000),
    ("671", "Struer", "82", 21_000),
    ("706", "Syddjurs", "82", 43_000),
    ("707", "Norddjurs", "82", 37_000),
    ("710", "Favrskov", "82", 50_000),
    ("727", "Odder", "82", 24_000),
    ("730", "Randers", "82", 99_000),
    ("740", "Silkeborg", "82", 100_000),
    ("741", "Samsø", "82", 3_700),
    ("746", "Skanderborg", "82", 64_000),
    ("751", "Aarhus", "82", 367_000),
    ("756", "Ikast-Brande", "82", 42_000),
    ("760", "Ringkøbing-Skjern", "82", 56_000),
    ("766", "Hedensted", "82", 47_000),
    ("779", "Skive", "82", 46_000),
    ("791", "Viborg", "82", 98_000),
    # Region Nordjylland (11)
    ("773", "Morsø", "81", 20_000),
    ("787", "Thisted", "81", 43_000),
    ("810", "Brønderslev", "81", 36_000),
    ("813", "Frederikshavn", "81", 59_000),
    ("820", "Vesthimmerlands", "81", 36_000),
    ("825", "Læsø", "81", 1_800),
    ("840", "Rebild", "81", 30_000),
    ("846", "Mariagerfjord", "81", 42_000),
    ("849", "Jammerbugt", "81", 38_000),
    ("851", "Aalborg", "81", 222_000),
    ("860", "Hjørring", "81", 64_000),
)

# kom -> reg, the mapping every simulated person's address must respect.
KOM_TO_REG: dict[str, str] = {kom: reg for kom, _, reg, _ in MUNICIPALITIES}


def sample_residence(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Place ``n`` persons in municipalities in proportion to their populations.

    Args:
        rng: Random generator.
        n: Number of persons.

    Returns:
        ``(kom, reg)`` as object arrays of 3-digit and 2-digit code strings.
    """
    kom_codes = np.array([m[0] for m in MUNICIPALITIES], dtype=object)
    reg_codes = np.array([m[2] for m in MUNICIPALITIES], dtype=object)
    weights = np.array([m[3] for m in MUNICIPALITIES], dtype=float)
    pick = rng.choice(len(MUNICIPALITIES), size=n, p=weights / weights.sum())
    return kom_codes[pick], reg_codes[pick]
