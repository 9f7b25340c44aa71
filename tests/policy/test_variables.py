"""Policy variables, IAM User Guide ``reference_policies_variables`` ("IAM policy elements:
Variables and tags").

The context maps lower-cased condition keys to their values, as the request context does.
"""

from __future__ import annotations

from localiam.policy.model import VERSION_2008, VERSION_2012, Policy
from localiam.policy.wildcard import Context, Template

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def ctx(**values: str | tuple[str, ...]) -> Context:
    """``aws_username="x"`` → ``{"aws:username": ("x",)}``; ``__`` stands for ``/``."""
    out: dict[str, tuple[str, ...]] = {}
    for name, value in values.items():
        key = name.replace("__", "/").replace("_", ":", 1).lower()
        out[key] = (value,) if isinstance(value, str) else value
    return out


# --- substitution ----------------------------------------------------------------------------


def test_username_in_resource_from_the_aws_page() -> None:
    # The page's example: each user gets their own "home" prefix in one shared bucket.
    home = Template(f"{BUCKET}/${{aws:username}}/*")
    johndoe = ctx(aws_username="JohnDoe")
    assert home.matches(f"{BUCKET}/JohnDoe/notes.txt", johndoe)
    assert home.matches(f"{BUCKET}/JohnDoe/a/b/c", johndoe)
    assert not home.matches(f"{BUCKET}/JaneDoe/notes.txt", johndoe)
    assert not home.matches(f"{BUCKET}/johndoe/notes.txt", johndoe)  # resources: case-sensitive


def test_username_in_condition_value() -> None:
    # "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}
    prefix = Template("${aws:username}/*")
    assert prefix.matches("JohnDoe/photos/", ctx(aws_username="JohnDoe"))
    assert not prefix.matches("JaneDoe/", ctx(aws_username="JohnDoe"))


def test_principal_tag_variable() -> None:
    # "Tags as policy variables": ${aws:PrincipalTag/team}
    template = Template(f"{BUCKET}-${{aws:PrincipalTag/team}}/*")
    yellow = ctx(aws_PrincipalTag__team="yellow")
    assert template.matches(f"{BUCKET}-yellow/report.csv", yellow)
    assert not template.matches(f"{BUCKET}-blue/report.csv", yellow)
    assert template.render(yellow) == f"{BUCKET}-yellow/*"


def test_variable_names_are_case_insensitive() -> None:
    template = Template("${AWS:UserName}")
    assert template.render(ctx(aws_username="JohnDoe")) == "JohnDoe"


def test_several_variables_in_one_value() -> None:
    template = Template("${aws:PrincipalTag/team}/${aws:username}")
    both = ctx(aws_username="bob", aws_PrincipalTag__team="yellow")
    assert template.render(both) == "yellow/bob"
    assert template.render(ctx(aws_username="bob")) is None


# --- defaults --------------------------------------------------------------------------------


def test_default_value_from_the_aws_page() -> None:
    # "Specifying default values": principals without a team tag get 'company-wide'.
    template = Template(f"{BUCKET}-${{aws:PrincipalTag/team, 'company-wide'}}")
    assert template.matches(f"{BUCKET}-yellow", ctx(aws_PrincipalTag__team="yellow"))
    assert template.matches(f"{BUCKET}-company-wide", ctx())
    assert not template.matches(f"{BUCKET}-yellow", ctx())


def test_default_username_guest() -> None:
    template = Template("home/${aws:username, 'guest'}/*")
    assert template.matches("home/guest/file", ctx())
    assert template.matches("home/alice/file", ctx(aws_username="alice"))
    assert not template.matches("home/guest/file", ctx(aws_username="alice"))
    assert template.render(ctx()) == "home/guest/*"


def test_default_is_case_sensitive_and_literal() -> None:
    template = Template("${aws:username, 'Guest*'}")
    assert template.matches("Guest*", ctx())
    assert not template.matches("Guest-1", ctx())
    assert not template.matches("guest*", ctx())


# --- no value --------------------------------------------------------------------------------


def test_missing_variable_without_default_matches_nothing() -> None:
    # "Policy variables with no value": the element does not match.
    template = Template(f"{BUCKET}/${{aws:username}}/*")
    assert template.matcher(ctx()) is None
    assert not template.matches(f"{BUCKET}//x", ctx())
    assert not template.matches(f"{BUCKET}/${{aws:username}}/x", ctx())
    assert template.render(ctx()) is None


def test_missing_variable_does_not_match_even_a_star_pattern() -> None:
    template = Template("*${aws:username}*")
    assert not template.matches("anything", ctx())


def test_multivalued_key_counts_as_no_value() -> None:
    template = Template("${aws:PrincipalTag/team}")
    two = ctx(aws_PrincipalTag__team=("yellow", "blue"))
    assert not template.matches("yellow", two)
    assert template.render(two) is None
    with_default = Template("${aws:PrincipalTag/team, 'none'}")
    assert with_default.render(two) == "none"


def test_empty_value_list_counts_as_no_value() -> None:
    assert Template("${aws:username}").render(ctx(aws_username=())) is None


# --- escapes and literal substitution --------------------------------------------------------


def test_escapes_are_literal_characters() -> None:
    star = Template("report${*}")
    assert star.matches("report*", ctx())
    assert not star.matches("report-2024", ctx())
    question = Template("what${?}")
    assert question.matches("what?", ctx())
    assert not question.matches("whatX", ctx())
    dollar = Template("cost${$}")
    assert dollar.matches("cost$", ctx())
    assert not dollar.matches("cost", ctx())


def test_escapes_next_to_real_wildcards() -> None:
    template = Template("a${*}*")
    assert template.matches("a*", ctx())
    assert template.matches("a*xyz", ctx())
    assert not template.matches("abc", ctx())


def test_escapes_render_as_the_character() -> None:
    assert Template("${*}${?}${$}").render(ctx()) == "*?$"


def test_dollar_escape_does_not_start_a_new_variable() -> None:
    # Substitution is a single pass: "${$}{aws:username}" is the literal text "${aws:username}".
    template = Template("${$}{aws:username}")
    assert template.render(ctx(aws_username="bob")) == "${aws:username}"
    assert template.matches("${aws:username}", ctx(aws_username="bob"))
    assert not template.matches("bob", ctx(aws_username="bob"))


def test_substituted_text_is_literal() -> None:
    # A value holding '*' or '?' is not a wildcard once substituted.
    template = Template("home/${aws:username}/x")
    assert template.matches("home/*/x", ctx(aws_username="*"))
    assert not template.matches("home/bob/x", ctx(aws_username="*"))
    assert not template.matches("home/b/x", ctx(aws_username="?"))
    assert template.matches("home/?/x", ctx(aws_username="?"))


def test_substituted_text_is_not_substituted_again() -> None:
    template = Template("${aws:username}")
    nested = ctx(aws_username="${aws:userid}", aws_userid="AIDAEXAMPLE")
    assert template.render(nested) == "${aws:userid}"


def test_default_text_is_not_substituted_again() -> None:
    # The default ends at the first '}', so a nested variable cannot be written inside it;
    # what is left after the first '}' stays plain text.
    assert Template("${aws:username, '${$'}").render(ctx()) == "${$"


def test_unrecognised_braces_stay_literal() -> None:
    assert Template("${}").render(ctx()) == "${}"
    assert Template("${aws:username").render(ctx(aws_username="bob")) == "${aws:username"
    assert Template("${a, b}").render(ctx(a="x")) == "${a, b}"


def test_case_insensitive_template_keeps_substitution_literal() -> None:
    template = Template("s3:Get${aws:username}", ignore_case=True)
    assert template.matches("S3:GETBOB", ctx(aws_username="Bob"))
    assert not template.matches("s3:GetAnything", ctx(aws_username="*"))


# --- variables disabled (Version 2008-10-17) -------------------------------------------------


def test_variables_disabled_keeps_the_text() -> None:
    # "If you don't include the Version element ... variables such as ${aws:username} aren't
    # recognized as variables and are instead treated as literal strings in the policy."
    template = Template(f"{BUCKET}/${{aws:username}}/*", variables=False)
    bob = ctx(aws_username="bob")
    assert not template.has_variables
    assert not template.matches(f"{BUCKET}/bob/x", bob)
    assert template.matches(f"{BUCKET}/${{aws:username}}/x", bob)
    assert template.render(bob) == f"{BUCKET}/${{aws:username}}/*"


def test_variables_disabled_escapes_are_not_escapes() -> None:
    # Without variables "${*}" is '$', '{', a real wildcard, '}'.
    template = Template("a${*}b", variables=False)
    assert template.matches("a${anything}b", ctx())
    assert template.matches("a${}b", ctx())
    assert not template.matches("a*b", ctx())


def test_only_version_2012_enables_variables() -> None:
    assert Policy(VERSION_2012, None, ()).variables_enabled
    assert not Policy(VERSION_2008, None, ()).variables_enabled
    assert not Policy(None, None, ()).variables_enabled
