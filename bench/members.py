"""The member list (職員・ボランティアの管理) of a council with its child councils: the page an admin opens
to find a person, timed against the framework's trivial page (a redirect) on the same test client."""

from bench.common import median_ms, run_alone

PEOPLE = 300  # a large 市社協 with its 地区社協: staff, volunteers and committee members
INVITATIONS = 40


def run(report):
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from sasaeai.accounts.models import Membership, User
    from sasaeai.accounts.services import members
    from sasaeai.core.services import council_create

    parent = council_create(name="ベンチ会員市社会福祉協議会", kind="municipal")
    children = [council_create(name=f"ベンチ第{i}地区社会福祉協議会", kind="district", parent=parent) for i in range(8)]
    admin = User.objects.create_user("bench-members-admin", password="bench-password-1")
    Membership.objects.create(user=admin, council=parent, role="admin")
    roles = ["viewer", "reporter", "leader", "editor", "committee"]
    users = User.objects.bulk_create(
        User(username=f"bench-m{i:04d}", display_name=f"会員 {i:04d}", last_login=timezone.now()) for i in range(PEOPLE)
    )
    Membership.objects.bulk_create(
        Membership(user=u, council=children[i % len(children)], role=roles[i % len(roles)]) for i, u in enumerate(users)
    )
    for i in range(INVITATIONS):
        members.invitation_create(council=parent, role="viewer", by=admin, email=f"bench{i}@example.jp")
    shape = f"{PEOPLE} people in {len(children)} child councils, {INVITATIONS} open invitations"
    print(f"# member list: {shape}", flush=True)

    client = Client()
    client.force_login(admin)
    url = reverse("members:list", args=[parent.pk])
    assert client.get(url).status_code == 200
    ours = median_ms(lambda: client.get(url))
    trivial = median_ms(lambda: client.get("/favicon.ico"))
    report("member_list_page", ours)
    report("trivial_redirect_page", trivial)
    print(f"bench member_list_vs_trivial_page {ours / trivial:.1f} x", flush=True)


if __name__ == "__main__":
    run_alone(run, "sasaeai-bench-members-")
