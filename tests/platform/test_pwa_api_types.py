"""The PWA does not re-type the API by hand.

Its API types are aliases of `pwa/src/api/schema.d.ts`, which scripts/openapi.py generates from
/openapi.json (tests/platform/test_openapi_types.py fails when that file is stale). This test
reads every TypeScript file of `pwa/src` and fails on an object shape (`interface X`, or
`type X = { … }`) or a union of string literals that is not on the list below of types only
the PWA has (its outbox, its UI state, the push payload and the live events, which /openapi.json
does not describe). An API answer, a request body or a set of values the API declares must be
written as `components['schemas'][…]` (or a part of one). The mock API the PWA's tests once used
(`pwa/scripts/mock-api.mjs`) is gone: the browser tests run the real server, and the vitest
fakes of /sync are typed by the generated schema (pwa/test/helpers.ts, `syncAnswer`).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PWA_SRC = ROOT / "pwa" / "src"
GENERATED = PWA_SRC / "api" / "schema.d.ts"

_DECLARATION = re.compile(
    r"^(?:export\s+)?(?:interface\s+(?P<interface>\w+)|type\s+(?P<type>\w+)(?:<[^=]*>)?\s*=\s*(?P<rhs>[^;]*))",
    re.M,
)

# file (relative to pwa/src) -> the hand-written types it may declare, each the PWA's own.
PWA_ONLY: dict[str, set[str]] = {
    "api/client.ts": {"ApiDeps", "CallOptions"},
    # Server-sent events: not in /openapi.json (api-contract.md describes them).
    "api/events.ts": {"LiveEvent", "StreamState", "EventStreamOptions"},
    "app.tsx": {"RouteDef"},
    "auth/oidc.ts": {"Pending"},
    "auth/session.ts": {"Session"},
    # What the page's start-up read from the device (database, session, last known `/me`).
    "early.ts": {"Early"},
    "auth/signout.ts": {"SignOutResult"},
    "offline/catalogue.ts": {"Catalogue"},
    "offline/savedCopy.ts": {"Shown", "Kept"},
    "outbox/crypto.ts": {"Sealed"},
    "outbox/db.ts": {"RecordKind", "RecordState", "StoredRecord", "SealedValue", "LanternSchema"},
    "outbox/local.ts": {"Local"},
    "outbox/store.ts": {"OutboxOptions"},
    "outbox/sync.ts": {"SyncDeps", "SyncReport", "Verdict", "ProblemAnswer"},
    # Problem: an RFC 9457 answer, or one the PWA makes up for a network failure (the API's
    # problems are not declared per route in /openapi.json).
    "outbox/types.ts": {"OutboxDraft", "Problem", "OutboxItem"},
    "outbox/updates.ts": {"CustodyEvent", "UpdateTrouble"},
    # The Web Push payload (api-contract.md), decrypted by the service worker: not an HTTP answer.
    "push/notification.ts": {"PagePayload", "NotificationPlan"},
    "push/register.ts": {"PushUnavailable"},
    "router.ts": {"Location"},
    "screens/IncidentDetail.tsx": {"Loaded"},
    "screens/NrmAction.tsx": {"NrmForm"},
    "screens/PartnershipReports.tsx": {"Kind"},
    "screens/ReportForm.tsx": {"FormState"},
    "screens/Rota.tsx": {"LevelDraft"},
    "screens/incident/Updates.tsx": {"Target"},
    "screens/partner/PartnerHome.tsx": {"Form"},
    "screens/places/BarChart.tsx": {"BarPoint"},
    "screens/places/NetworkScreen.tsx": {"Row"},
    "screens/places/StrategyMeetings.tsx": {"AttendeeRow", "ActionRow"},
    "screens/places/charts.ts": {"Bar", "HeatCell", "NetworkNode"},
    "screens/search/SearchScreen.tsx": {"Run"},
    "screens/search/query.ts": {"SearchForm"},
    "settings.ts": {"Theme"},
    "state.ts": {"Store", "Phase", "AppState"},
    "sw.ts": {"SyncEvent"},
    "ui/Header.tsx": {"NavItem"},
    "ui/hooks.ts": {"Async"},
}


def hand_written(source: str) -> list[str]:
    """The names of the object shapes and string-literal unions `source` declares by hand."""
    found = []
    for match in _DECLARATION.finditer(source):
        if match["interface"]:
            found.append(match["interface"])
            continue
        rhs = match["rhs"].strip()
        if rhs.startswith(("{", "'", '"', "|")):
            found.append(match["type"])
    return found


def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(PWA_SRC)): path.read_text()
        for path in sorted([*PWA_SRC.rglob("*.ts"), *PWA_SRC.rglob("*.tsx")])
        if path != GENERATED
    }


def test_the_scanner_sees_a_hand_written_type():
    """The check can fail: each way of writing a shape by hand is caught, and aliases are not."""
    source = """
export interface IncidentSummary { id: string; state: string }
interface Local { a: number }
export type Clock = { id: string; due_at: string };
type State = 'open' | 'met';
export type Kind =
  | 'arrest'
  | 'missing_return';
export type Page<T> = { items: T[] };
export type Device = Schemas['SubscriptionOut'];
type Target = components['schemas']['PolicyLevel']['target'];
export type IncidentKind = Schemas['IncidentCreate']['kind'];
"""
    assert hand_written(source) == ["IncidentSummary", "Local", "Clock", "State", "Kind", "Page"]


def test_no_hand_written_api_type_in_the_pwa():
    unexpected = [
        f"{file}: {name}"
        for file, source in _sources().items()
        for name in hand_written(source)
        if name not in PWA_ONLY.get(file, set())
    ]
    assert not unexpected, (
        "hand-written types in pwa/src: write an API shape as an alias of the generated "
        "components['schemas'][…] (pwa/src/api/types.ts), or add a type only the PWA has to "
        f"PWA_ONLY with why: {unexpected}"
    )


def test_the_list_of_pwa_only_types_is_current():
    """A type on the list that is no longer declared is taken off it (the list stays honest)."""
    sources = _sources()
    stale = [
        f"{file}: {name}"
        for file, names in PWA_ONLY.items()
        for name in sorted(names)
        if name not in hand_written(sources.get(file, ""))
    ]
    assert not stale, stale


def test_every_api_type_is_an_alias_of_the_generated_schema():
    aliases = (PWA_SRC / "api" / "types.ts").read_text()
    declared = re.findall(r"^export type (\w+)[^=]*=\s*([^;]*);", aliases, re.M)
    assert declared, "pwa/src/api/types.ts declares no types"
    not_generated = [name for name, rhs in declared if "Schemas[" not in rhs and "components[" not in rhs]
    assert not not_generated, not_generated


def test_no_mock_api_beside_the_real_one():
    assert not list((ROOT / "pwa").glob("scripts/mock-api*")), "the PWA's tests use the real server"
