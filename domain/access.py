"""Who may see which goal: the one read-scope rule the API, the board and the SSE stream apply
to people (writes are ruled by the stream deciders)."""

from __future__ import annotations

from domain.org_tree import OrgTree

SEES_EVERYTHING = ("hq_admin", "auditor")
# Roles that read the goals of every unit below their own: managers, and the HR business
# partners who propose goals for those units.
SEES_THEIR_SUBTREE = ("manager", "hrbp")


def read_refusal(
    viewer_role: str,
    viewer_person_id: str,
    viewer_unit_id: str,
    owner_person_id: str,
    owner_unit_id: str,
    org: OrgTree,
    on_viewers_chain: bool = False,
) -> str | None:
    """None when the viewer may read a goal owned by (`owner_person_id`, `owner_unit_id`),
    else why not. A person sees their own goals (theirs, or their unit's) and the objectives
    their goals align to up to the north star (`on_viewers_chain`); a manager also everything
    owned in the units they manage; HQ admins and auditors see everything."""
    if viewer_role in SEES_EVERYTHING or owner_person_id == viewer_person_id:
        return None
    if owner_unit_id == viewer_unit_id:
        return None  # goals of the person's own unit (a rep's unit is the rep)
    if on_viewers_chain:
        return None
    if viewer_role in SEES_THEIR_SUBTREE and owner_unit_id in org.units:
        if viewer_unit_id in org.ancestors_and_self(owner_unit_id):
            return None
    return (
        f"owned by {owner_person_id} in {owner_unit_id}: outside {viewer_person_id}'s scope"
        " (own goals, the units they manage, the objectives their goals align to)"
    )


def region_alert_refusal(
    viewer_role: str, viewer_unit_id: str, region_id: str, org: OrgTree
) -> str | None:
    """An alert about a region goes to the people in it and the managers above it."""
    if viewer_role in SEES_EVERYTHING:
        return None
    if viewer_unit_id in org.units and region_id in org.units:
        if region_id in org.ancestors_and_self(viewer_unit_id):
            return None
        if viewer_unit_id in org.ancestors_and_self(region_id):
            return None
    return f"region {region_id} is outside the viewer's part of the org tree"


def unit_refusal(viewer_role: str, viewer_unit_id: str, unit_id: str, org: OrgTree) -> str | None:
    """Reads about a whole unit (its calibration agenda) are for the managers of the unit or
    above it, HQ admins and auditors; a person's own unit is theirs too."""
    if viewer_role in SEES_EVERYTHING or unit_id == viewer_unit_id:
        return None
    if viewer_role in SEES_THEIR_SUBTREE and unit_id in org.units:
        if viewer_unit_id in org.ancestors_and_self(unit_id):
            return None
    return f"unit {unit_id} is outside the viewer's part of the org tree"
