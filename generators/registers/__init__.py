"""A simulator of the Danish health registers, shaped like a research delivery.

>>> from generators.registers import simulate_registers
>>> tables = simulate_registers(persons=1000, seed=7)

The tables and their Danish column names are described in the module that builds
each: :mod:`~generators.registers.population` (``bef``), :mod:`~.simulator`
(``dod``), :mod:`~.hospital` (``lpr_a_kontakt``, ``lpr_a_diagnose``,
``lpr_a_procregistrering``), :mod:`~.epj` (``epj_observation``),
:mod:`~.prescriptions` (``lmdb``), :mod:`~.laboratory` (``lab``) and
:mod:`~.municipal_care` (``fsiii_tilstand``, ``fsiii_indsats``). The rates behind
them, each with its public source, are in :mod:`~.rates`; the life course that ties
them together is in :mod:`~.health`.

Data types, the same in every table:

- Persons (``pnr``, and ``patient_cpr`` in ``lab``) are 16-character lowercase hex
  pseudonyms, the shape the lake's ingestion gives CPR numbers; never CPR-like.
- Codes are strings as the registers deliver them: ``kom`` "101", ``reg`` "84",
  ``civst`` "G", ``diag_kode`` "DI500", ``atc`` "A10BA02", ``vnr`` "145367",
  ``analysiscode`` "NPU27300", FSIII codes "H1.1", ``paragraf`` "83". The exception
  is ``koen``, an integer (1 male, 2 female) as in BEF.
- Surrogate keys (``dw_ek_*``, ``indsats_id``, ``observation_id``) are ``int64``.
  DST delivers the ``dw_ek_*`` keys as text; they are opaque, so cast when comparing
  with a real delivery.
- Dates and timestamps are ``datetime64[ns]``; a date has no time of day. Missing
  dates are ``NaT``, missing numbers ``NaN``, missing text ``None``.
- ``lab.value`` is text (numbers as text, POSITIV/NEGATIV); reference limits, counts,
  hours and EPJ values are numbers.

Everything starts between 2015-01-01 and 2024-12-31, except births and home care
already running on 1 January 2015 (which keeps its earlier start date); a hospital
stay begun at the end of 2024, and what is done during it, can run into 2025.
Nothing happens before birth or after death.
"""

from generators.registers.schema import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, REGISTER_TABLES
from generators.registers.simulator import InvalidSimulationSettings, simulate_registers

__all__ = [
    "REGISTER_PRIMARY_KEYS",
    "REGISTER_RELATIONS",
    "REGISTER_TABLES",
    "InvalidSimulationSettings",
    "simulate_registers",
]
