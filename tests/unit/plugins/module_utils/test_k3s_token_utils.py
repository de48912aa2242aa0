# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_token import (
    SETTLED_SECONDS,
    TokenFileTimeout,
    TokenFormatError,
    compare_tokens,
    parse_token,
    wait_for_token,
)

CA_HASH = "0f6b1c0a9e1d4c2b7a3f5e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b"
OTHER_HASH = "1" * 64
# secrets with characters that break regular expressions, printf formats and shells
AWKWARD_SECRETS = [
    "a+b*c%d$e/f",
    r"back\slash(and)[brackets]^dot.",
    "100%sure",
    "%s%d%%",
    "$(whoami)`id`",
    "with inner spaces",
    "colon:inside:secret",
    ".*",
    "^$",
    "ünïcödé-sëcret",
]


class FakeTime:
    """A clock that advances only when slept on, with a hook per sleep."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.sleeps = 0
        self.on_sleep = on_sleep

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.sleeps += 1
        if self.on_sleep:
            self.on_sleep(self.sleeps)


def write_token(data_dir, name, content):
    server = data_dir / "server"
    server.mkdir(exist_ok=True)
    (server / name).write_text(content)


@pytest.mark.parametrize("secret", AWKWARD_SECRETS)
def test_full_token_splits_into_its_parts(secret):
    parsed = parse_token(f"K10{CA_HASH}::server:{secret}")
    assert parsed == ("full", CA_HASH, "server", secret)


@pytest.mark.parametrize("secret", AWKWARD_SECRETS)
def test_bare_secret_is_the_whole_value(secret):
    assert parse_token(secret) == ("bare", "", "", secret)


def test_surrounding_whitespace_and_newlines_are_trimmed():
    assert parse_token(f"\n  K10{CA_HASH}::node:abc\r\n").secret == "abc"
    assert parse_token("  abc \n") == ("bare", "", "", "abc")


def test_k10_without_ca_hash_is_bare():
    assert parse_token("K10::server:abc") == ("bare", "", "server", "abc")


def test_ca_hash_is_compared_case_insensitively():
    assert parse_token(f"K10{CA_HASH.upper()}::server:abc").ca_hash == CA_HASH


def test_bootstrap_token_keeps_id_and_secret_together():
    parsed = parse_token(f"K10{CA_HASH}::abcdef.0123456789abcdef")
    assert parsed == ("full", CA_HASH, "", "abcdef.0123456789abcdef")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("K10abc::server:hunter2", "64 hexadecimal characters, found 3"),
        ("K10" + "g" * 64 + "::server:hunter2", "64 hexadecimal"),
        (f"K10{CA_HASH}::server:", "<user>:<secret>"),
        (f"K10{CA_HASH}::hunter2", "<user>:<secret>"),
    ],
)
def test_malformed_tokens_are_rejected_without_echoing_them(token, reason):
    with pytest.raises(TokenFormatError) as error:
        parse_token(token)
    assert reason in str(error.value)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize("secret", AWKWARD_SECRETS)
def test_bare_and_full_forms_of_the_same_secret_match(secret):
    node = parse_token(f"K10{CA_HASH}::server:{secret}")
    assert compare_tokens(parse_token(secret), node).matches
    assert compare_tokens(parse_token(f"K10{CA_HASH}::server:{secret}"), node).matches
    assert compare_tokens(parse_token(f" {secret}\n"), node).matches


@pytest.mark.parametrize(
    ("supplied", "actual"),
    [(".*", "anything"), ("a+", "aa"), ("[ab]", "a"), ("%s", "x"), ("abc", "abcd"), ("ABC", "abc")],
)
def test_patterns_and_prefixes_do_not_match(supplied, actual):
    comparison = compare_tokens(parse_token(supplied), parse_token(f"K10{CA_HASH}::server:{actual}"))
    assert comparison == (False, False, None)


def test_a_bare_user_and_secret_is_not_the_secret_alone():
    node = parse_token(f"K10{CA_HASH}::server:abc")
    assert not compare_tokens(parse_token("server:abc"), node).matches


def test_a_different_ca_hash_does_not_match():
    comparison = compare_tokens(parse_token(f"K10{OTHER_HASH}::server:abc"), parse_token(f"K10{CA_HASH}::server:abc"))
    assert comparison == (False, True, False)


def test_the_user_name_is_not_compared():
    comparison = compare_tokens(parse_token(f"K10{CA_HASH}::node:abc"), parse_token(f"K10{CA_HASH}::server:abc"))
    assert comparison == (True, True, True)


def test_present_token_is_read_at_once(tmp_path):
    write_token(tmp_path, "token", f"K10{CA_HASH}::server:abc\n")
    fake = FakeTime()
    path, content = wait_for_token(str(tmp_path), "server", 60, sleep=fake.sleep, clock=fake.clock)
    assert (path, content, fake.sleeps) == (str(tmp_path / "server" / "token"), f"K10{CA_HASH}::server:abc", 0)


def test_token_written_during_start_up_is_waited_for(tmp_path):
    (tmp_path / "server").mkdir()

    def k3s_starts(sleeps):
        if sleeps == 1:
            write_token(tmp_path, "token", "")  # created, not yet written
        if sleeps == 3:
            write_token(tmp_path, "token", "K10::server:abc\n")

    fake = FakeTime(k3s_starts)
    _path, content = wait_for_token(str(tmp_path), "server", 60, sleep=fake.sleep, clock=fake.clock)
    assert (content, fake.sleeps) == ("K10::server:abc", 3)


def test_missing_token_times_out(tmp_path):
    fake = FakeTime()
    with pytest.raises(TokenFileTimeout, match="within 5 seconds"):
        wait_for_token(str(tmp_path), "server", 5, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == 5


def test_agent_token_is_preferred(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    write_token(tmp_path, "agent-token", "K10::node:xyz")
    path, content = wait_for_token(str(tmp_path), "agent", 0)
    assert (path.endswith("agent-token"), content) == (True, "K10::node:xyz")


def test_agent_token_falls_back_to_server_token_after_a_settling_poll(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    fake = FakeTime()
    path, content = wait_for_token(str(tmp_path), "agent", 60, sleep=fake.sleep, clock=fake.clock)
    assert (path.endswith("/token"), content, fake.sleeps) == (True, "K10::server:abc", 1)


def test_agent_token_of_a_settled_server_falls_back_without_waiting(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    written = (tmp_path / "server" / "token").stat().st_mtime
    fake = FakeTime()
    path, content = wait_for_token(
        str(tmp_path), "agent", 60, sleep=fake.sleep, clock=fake.clock, now=lambda: written + SETTLED_SECONDS + 1
    )
    assert (path.endswith("/token"), content, fake.sleeps) == (True, "K10::server:abc", 0)


def test_agent_token_of_a_server_that_just_wrote_its_token_is_waited_for(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    written = (tmp_path / "server" / "token").stat().st_mtime
    fake = FakeTime(lambda sleeps: write_token(tmp_path, "agent-token", "K10::node:xyz"))
    _path, content = wait_for_token(
        str(tmp_path), "agent", 60, sleep=fake.sleep, clock=fake.clock, now=lambda: written + SETTLED_SECONDS - 1
    )
    assert (content, fake.sleeps) == ("K10::node:xyz", 1)


def test_agent_token_written_right_after_the_server_token_wins(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    fake = FakeTime(lambda sleeps: write_token(tmp_path, "agent-token", "K10::node:xyz"))
    _path, content = wait_for_token(str(tmp_path), "agent", 60, sleep=fake.sleep, clock=fake.clock)
    assert content == "K10::node:xyz"


def test_agent_token_without_timeout_falls_back_at_once(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    path, _content = wait_for_token(str(tmp_path), "agent", 0)
    assert path == str(tmp_path / "server" / "token")


def test_node_token_link_is_followed(tmp_path):
    write_token(tmp_path, "token", "K10::server:abc")
    (tmp_path / "server" / "node-token").symlink_to(tmp_path / "server" / "token")
    assert wait_for_token(str(tmp_path), "node", 0)[1] == "K10::server:abc"
