"""English and Spanish labels of export headers, statuses and special groups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "es"]
LANGUAGES: tuple[str, ...] = ("en", "es")


@dataclass(frozen=True)
class Labels:
    """Every text an export shows, in one language."""

    columns: Mapping[str, str]
    statuses: Mapping[str, str]
    groups: Mapping[str, str]
    dimensions: Mapping[str, str]
    counts_columns: Mapping[str, str]
    sheet_people: str
    sheet_counts: str
    sheet_about: str
    about: Mapping[str, str]

    def status(self, status: str) -> str:
        """Translate a status code; unknown codes are shown as they are."""
        return self.statuses.get(status, status)

    def group(self, group: str) -> str:
        """Translate the special groups unknown, former and unassigned; other groups are data."""
        return self.groups.get(group, group)


_EN = Labels(
    columns={
        "user_id": "User ID",
        "display_name": "Name",
        "email": "Email",
        "department": "Department",
        "team": "Team",
        "manager_name": "Manager",
        "location": "Location",
        "country": "Country",
        "last_login": "Last login",
        "last_activity": "Last activity",
        "days_since_last_activity": "Days since last activity",
        "status": "Status",
    },
    statuses={
        "active": "Active",
        "inactive": "Inactive",
        "never_active": "Never active",
        "excused": "On leave",
        "onboarding": "Onboarding",
        "disabled": "Disabled or left",
        "excluded": "Non-person account",
        "unknown": "Not in directory",
    },
    groups={
        "unknown": "Not in directory",
        "former": "Left or disabled",
        "unassigned": "Unassigned",
    },
    dimensions={
        "department": "Department",
        "team": "Team",
        "manager": "Manager",
        "manager_subtree": "Manager (whole team)",
        "location": "Location",
        "country": "Country",
    },
    counts_columns={
        "population": "Population",
        "active": "Active",
        "inactive": "Inactive",
        "never_active": "Never active",
        "excused": "On leave",
        "onboarding": "Onboarding",
        "active_rate": "Active rate",
    },
    sheet_people="Inactive people",
    sheet_counts="Counts by group",
    sheet_about="About",
    about={
        "as_of": "As of",
        "window": "Window (days)",
        "by": "Grouped by",
        "rows": "People listed",
        "definition": "Definition",
        "definition_text": (
            "Inactive: no login or interaction in the window but some before it. Never active: no "
            "login or interaction up to the as-of date. People on leave, in their first days "
            "(onboarding), disabled or departed accounts and non-person accounts are never listed. "
            "Population = enabled people who are neither on leave nor onboarding."
        ),
    },
)

# Spanish as HR teams use it in Spain and Latin America; "ID" and "Email" are kept as is.
_ES = Labels(
    columns={
        "user_id": "ID de usuario",
        "display_name": "Nombre",
        "email": "Correo electrónico",
        "department": "Departamento",
        "team": "Equipo",
        "manager_name": "Responsable",
        "location": "Ubicación",
        "country": "País",
        "last_login": "Último inicio de sesión",
        "last_activity": "Última actividad",
        "days_since_last_activity": "Días sin actividad",
        "status": "Estado",
    },
    statuses={
        "active": "Activo",
        "inactive": "Inactivo",
        "never_active": "Nunca activo",
        "excused": "De baja/ausente",
        "onboarding": "En incorporación",
        "disabled": "Cuenta deshabilitada o baja en la empresa",
        "excluded": "Cuenta no personal",
        "unknown": "Fuera del directorio",
    },
    groups={
        "unknown": "Fuera del directorio",
        "former": "Bajas y cuentas deshabilitadas",
        "unassigned": "Sin asignar",
    },
    dimensions={
        "department": "Departamento",
        "team": "Equipo",
        "manager": "Responsable",
        "manager_subtree": "Responsable (equipo completo)",
        "location": "Ubicación",
        "country": "País",
    },
    counts_columns={
        "population": "Población",
        "active": "Activos",
        "inactive": "Inactivos",
        "never_active": "Nunca activos",
        "excused": "De baja/ausentes",
        "onboarding": "En incorporación",
        "active_rate": "Tasa de actividad",
    },
    sheet_people="Personas inactivas",
    sheet_counts="Recuento por grupo",
    sheet_about="Información",
    about={
        "as_of": "Fecha de referencia",
        "window": "Periodo (días)",
        "by": "Agrupado por",
        "rows": "Personas en la lista",
        "definition": "Definición",
        "definition_text": (
            "Inactivo: sin inicios de sesión ni interacciones en el periodo, pero con alguno anterior. "
            "Nunca activo: sin inicios de sesión ni interacciones hasta la fecha de referencia. No se "
            "incluyen personas de baja o ausentes, en sus primeros días (en incorporación), cuentas "
            "deshabilitadas o de personas que han dejado la empresa, ni cuentas no personales. "
            "Población = personas con cuenta habilitada que no están de baja ni en incorporación."
        ),
    },
)

_LABELS: dict[str, Labels] = {"en": _EN, "es": _ES}


def labels_for(language: str) -> Labels:
    """Return the labels of `language` ("en" or "es")."""
    try:
        return _LABELS[language]
    except KeyError:
        raise ValueError(f"unsupported language {language!r}; expected one of {', '.join(LANGUAGES)}") from None
