from domain.access import read_refusal
from domain.org_tree import OrgTree, OrgUnit

ORG = OrgTree(
    [
        OrgUnit(id="hq", name="HQ", level="hq"),
        OrgUnit(id="east", name="East", level="region", parent_id="hq"),
        OrgUnit(id="sh", name="Shanghai", level="city", parent_id="east"),
        OrgUnit(id="hz", name="Hangzhou", level="city", parent_id="east"),
        OrgUnit(id="rep-sh-1", name="r", level="rep", parent_id="sh"),
        OrgUnit(id="rep-hz-1", name="r", level="rep", parent_id="hz"),
    ]
)


def refusal(role, person, unit, owner_person, owner_unit, chain=False):
    return read_refusal(role, person, unit, owner_person, owner_unit, ORG, chain)


def test_the_read_scope():
    # own goals
    assert refusal("rep", "p-1", "rep-sh-1", "p-1", "rep-sh-1") is None
    # a colleague's: no; the objectives above mine: yes
    assert "outside p-1's scope" in refusal("rep", "p-1", "rep-sh-1", "p-2", "rep-hz-1")
    assert refusal("rep", "p-1", "rep-sh-1", "p-mgr-hq", "hq", chain=True) is None
    # managers: their subtree, not a sibling city's, nor above them unless on their chain
    assert refusal("manager", "m-sh", "sh", "p-1", "rep-sh-1") is None
    assert refusal("manager", "m-sh", "sh", "p-2", "rep-hz-1") is not None
    assert refusal("manager", "m-sh", "sh", "m-east", "east") is not None
    assert refusal("manager", "m-east", "east", "p-2", "rep-hz-1") is None
    # HQ and auditors see everything; an unknown unit is nobody's subtree
    assert refusal("hq_admin", "h", "hq", "p-2", "rep-hz-1") is None
    assert refusal("auditor", "a", "hq", "p-2", "rep-hz-1") is None
    assert refusal("manager", "m-sh", "sh", "p-x", "nowhere") is not None


def test_a_units_goals_are_its_people_and_region_alerts_follow_the_tree():
    from domain.access import region_alert_refusal

    assert refusal("rep", "p-1", "rep-sh-1", "", "rep-sh-1") is None  # a catalog KR of my unit
    assert region_alert_refusal("rep", "rep-sh-1", "east", ORG) is None
    assert region_alert_refusal("manager", "hq", "east", ORG) is None
    assert region_alert_refusal("manager", "sh", "west", ORG) is not None
    assert region_alert_refusal("auditor", "hq", "west", ORG) is None
