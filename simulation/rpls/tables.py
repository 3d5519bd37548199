"""Reference tables of the RPLS import: column names of both layouts, financing codes, imputed rents.

Everything here is documented, with sources, in docs/rpls.md; keep the two in step.
"""

from __future__ import annotations

import re

# ------------------------------------------------------------------------------ columns
# Logical field -> accepted column names (upper-cased), old layout first then recent layout
# (*_CODE / *_LIBELLE pairs). The first name present in the file is used.
COLUMNS: dict[str, tuple[str, ...]] = {
    "epci": ("EPCI", "EPCI_CODE", "CODE_EPCI"),
    "depcom": ("DEPCOM", "DEPCOM_CODE", "COM_CODE", "CODGEO"),
    "libcom": ("LIBCOM", "DEPCOM_LIBELLE", "COM_LIBELLE"),
    "qpv": ("QPV", "QPV_CODE", "PLG_QP24", "PLG_QP24_CODE", "PLG_QPV", "PLG_QPV_CODE", "CODE_QPV"),
    "qpv_label": ("QPV_LIBELLE", "PLG_QP24_LIBELLE", "PLG_QPV_LIBELLE", "LIB_QPV"),
    "iris": ("PLG_IRIS", "PLG_IRIS_CODE", "IRIS", "IRIS_CODE", "CODE_IRIS"),
    "construct": ("CONSTRUCT", "CONSTRUCT_CODE", "ANNEE_CONSTRUCTION"),
    "locat": ("LOCAT", "LOCAT_CODE"),
    "nbpiece": ("NBPIECE", "NBPIECE_CODE", "NB_PIECES"),
    "surfhab": ("SURFHAB", "SURFHAB_CODE", "SURFACE_HABITABLE"),
    "finan": ("FINAN", "FINAN_CODE"),
    "finan_label": ("FINAN_LIBELLE",),
    "typeconst": ("TYPECONST", "TYPECONST_CODE"),
    "rent": ("LOYERPRINC", "LOYERPRINC_CODE", "LOYER_PRINC", "LOYER"),
    "landlord": ("BAILLEUR", "RS", "RAISON_SOCIALE", "DENOMINATION", "ORGANISME", "SIREN",
                 "SIREN_BAILLEUR", "PROPRIETAIRE", "BAILLEUR_CODE"),
    "programme": ("PROGRAMME", "NUMPROG", "NUM_PROGRAMME", "IDENTPROG", "ID_PROGRAMME",
                  "CODE_PROGRAMME", "PROG"),
    "numvoie": ("NUMVOIE", "NUMVOIE_CODE", "NUM_VOIE", "ADR_NUM"),
    "indrep": ("INDREP", "INDREP_CODE", "IND_REP"),
    "typvoie": ("TYPVOIE", "TYPVOIE_CODE", "TYP_VOIE", "TYPVOIE_LIBELLE"),
    "nomvoie": ("NOMVOIE", "NOMVOIE_CODE", "NOM_VOIE", "NOMVOIE_LIBELLE", "ADRESSE"),
    "building": ("BAT", "BATIMENT", "IMMEU", "IMMEUBLE", "NOM_RESIDENCE", "RESIDENCE"),
}
# IRIS columns are also published with a vintage, e.g. PLG_IRIS2024_CODE
IRIS_PATTERN = re.compile(r"^PLG_IRIS\d{4}(_CODE)?$")
REQUIRED = ("epci", "depcom", "nbpiece", "finan")
RECENT_MARKERS = ("EPCI_CODE", "DEPCOM_CODE", "FINAN_CODE")

# ------------------------------------------------------------------------------ financing
# RPLS "financement initial du logement" (FINAN) -> the model's financing type, with the RPLS
# label. Old State-aided loans before the 1977 reform take the PLUS ceilings (they are let under
# the ordinary HLM ceilings, CCH R441-1); very social loans take PLAI; PLA-CFF and PCL, let under
# the PLS ceilings, take PLS.
FINANCING: dict[str, tuple[str, str]] = {
    "10": ("PLAI", "PLAI (prêt locatif aidé d'intégration)"),
    "11": ("PLAI", "PLA très social, PLA-TS, PLA-LM (loyer minoré)"),
    "12": ("PLUS", "PLUS (prêt locatif à usage social)"),
    "13": ("PLUS", "PLA ordinaire (prêt locatif aidé, 1977-1999)"),
    "14": ("PLS", "PLS (prêt locatif social)"),
    "15": ("PLS", "PLA-CFF (prêt du Crédit foncier)"),
    "16": ("PLI", "PLI (prêt locatif intermédiaire)"),
    "17": ("PLS", "PCL (prêt conventionné locatif)"),
    "49": ("PLUS", "autre financement de l'État après 1977"),
    "50": ("PLUS", "HLM/O (HLM ordinaire, avant 1977)"),
    "51": ("PLUS", "PLR / PSR (programmes à loyer réduit, sociaux de relogement)"),
    "52": ("PLUS", "ILM (immeuble à loyer moyen)"),
    "53": ("PLUS", "ILN (immeuble à loyer normal)"),
    "54": ("PLUS", "autre financement avant 1977"),
    "55": ("PLUS", "financement sans aide de l'État"),
    "99": ("PLUS", "financement inconnu"),
}
# Codes kept but without an equivalent in the model: they become PLUS and are counted as imputed.
UNMAPPED = {"49", "54", "55", "99", ""}
# Labels (recent layout, FINAN_LIBELLE) -> type, matched on upper-cased words; used when the code
# is not in the table above.
FINANCING_BY_LABEL = (("PLAI", "PLAI"), ("INTEGRATION", "PLAI"), ("TRES SOCIAL", "PLAI"),
                      ("PLA-TS", "PLAI"), ("PLA-LM", "PLAI"), ("PLUS", "PLUS"), ("PLS", "PLS"),
                      ("PCL", "PLS"), ("CFF", "PLS"), ("PLI", "PLI"), ("HLM", "PLUS"),
                      ("PLR", "PLUS"), ("PSR", "PLUS"), ("ILM", "PLUS"), ("ILN", "PLUS"),
                      ("PLA", "PLUS"))

# ------------------------------------------------------------------------------ rents
# Rents are imputed with the model's own rent schedule (rents.base_rent_m2_by_era x
# rents.financing_factor, calibrated on SDES RPLS 2024: 6.15 EUR/m2 outside Ile-de-France, 7.9 for
# dwellings under 5 years, PLAI 6.0 and PLS 8.1 EUR/m2), times this factor in Ile-de-France
# (SDES RPLS 2024: 7.68 / 6.15).
IDF_DEPARTMENTS = {"75", "77", "78", "91", "92", "93", "94", "95"}
IDF_RENT_FACTOR = round(7.68 / 6.15, 3)
# When at least this many dwellings of the file carry a rent, imputed rents are scaled by the
# ratio of those rents to the schedule's (local calibration).
LOCAL_CALIBRATION_MIN = 30

# Student residences are not let through the ordinary allocation commissions.
STUDENT_TYPECONST = {"E"}
NOT_QPV = {"", "0", "NON", "N", "HORS QPV", "HQPV", "HORS_QPV", "HORS QP", "NON QPV", "-", "SO", "NC",
           "00", "SANS OBJET"}
YES_QPV = {"1", "OUI", "O", "QPV"}
