"""PartiQL's simple statements through ``ExecuteStatement`` (``ql-reference``), authorized as
``dynamodb:PartiQLSelect`` ... (``ql-iam``)."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import allow, error_of, make_user, policy

from localiam.testing import LocaliamServer


@pytest.fixture
def ddb(server: LocaliamServer) -> Any:
    client = server.client("dynamodb")
    client.create_table(
        TableName="Music",
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Song", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "Artist", "AttributeType": "S"},
            {"AttributeName": "Song", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def test_insert_select_update_delete(ddb: Any) -> None:
    ddb.execute_statement(
        Statement="INSERT INTO \"Music\" VALUE {'Artist': 'Acme', 'Song': 'One', 'Year': 2001, "
        "'Tags': <<'rock', 'pop'>>, 'Info': {'Live': true, 'Takes': [1, 2]}}"
    )
    ddb.execute_statement(
        Statement="INSERT INTO Music VALUE {'Artist': ?, 'Song': ?, 'Year': ?}",
        Parameters=[{"S": "Acme"}, {"S": "Two"}, {"N": "2003"}],
    )
    err = error_of(ddb.execute_statement, Statement="INSERT INTO Music VALUE {'Artist': 'Acme', 'Song': 'One'}")
    assert (err["Code"], err["Message"]) == ("DuplicateItemException", "Duplicate primary key exists in table")
    rows = ddb.execute_statement(
        Statement='SELECT Song, "Year" FROM Music WHERE Artist = ? AND "Year" > 2000', Parameters=[{"S": "Acme"}]
    )["Items"]
    assert rows == [{"Song": {"S": "One"}, "Year": {"N": "2001"}}, {"Song": {"S": "Two"}, "Year": {"N": "2003"}}]
    ddb.execute_statement(
        Statement="UPDATE Music SET \"Year\" = 2002 REMOVE Info WHERE Artist = 'Acme' AND Song = 'One'"
    )
    one = ddb.execute_statement(Statement="SELECT * FROM Music WHERE Artist = 'Acme' AND Song = 'One'")["Items"][0]
    assert one["Year"] == {"N": "2002"} and "Info" not in one and sorted(one["Tags"]["SS"]) == ["pop", "rock"]
    err = error_of(ddb.execute_statement, Statement="UPDATE Music SET \"Year\" = 1 WHERE Artist = 'No' AND Song = 'X'")
    assert err["Code"] == "ConditionalCheckFailedException"
    ddb.execute_statement(Statement="DELETE FROM Music WHERE Artist = 'Acme' AND Song = 'Two'")
    everything = ddb.execute_statement(Statement="SELECT * FROM Music WHERE begins_with(Song, 'O')")["Items"]
    assert [i["Song"]["S"] for i in everything] == ["One"]
    err = error_of(ddb.execute_statement, Statement="SELEKT * FROM Music")
    assert err["Code"] == "ValidationException"


def test_partiql_is_authorized_with_its_own_actions(server: LocaliamServer, ddb: Any) -> None:
    arn = f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/Music"
    user = make_user(
        server.client("iam"),
        server,
        "reader",
        inline=policy(allow("dynamodb:PartiQLSelect", arn, Condition={"Bool": {"dynamodb:FullTableScan": "false"}})),
    )
    mine = user.client("dynamodb")
    assert mine.execute_statement(Statement="SELECT * FROM Music WHERE Artist = 'x'")["Items"] == []
    err = error_of(mine.execute_statement, Statement="SELECT * FROM Music")
    assert err["Message"].endswith("because no identity-based policy allows the dynamodb:PartiQLSelect action")
    err = error_of(mine.execute_statement, Statement="INSERT INTO Music VALUE {'Artist': 'a', 'Song': 'b'}")
    assert "dynamodb:PartiQLInsert" in err["Message"]
