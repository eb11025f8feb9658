from tests.factories import StaffFactory, UserFactory


def test_home_in_japanese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="ja">' in response.text


def test_staff_sees_users(login_as):
    staff = StaffFactory()
    UserFactory(name="Hanako")
    client = login_as(staff)
    response = client.get("/admin/users")
    assert response.status_code == 200
    assert "Hanako" in response.text
