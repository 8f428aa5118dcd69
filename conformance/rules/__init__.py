"""The rules a Bitunix client is judged by, one module per concern; each rule is ``@rule(...)`` on its check.

The declaration (id, title, statement, prerequisites, operations called, the README's pass/warn/fail
texts) registers the check in :data:`RULES` (:class:`conformance.registry.Registry`, kept in
:mod:`.base` with the helpers every check uses). Rules run in declaration order, so a rule may only
require rules declared before it, and the modules below are imported in run order:

==========================  ===============================================================================
``vectors``                 the signer offline, against the known-answer vectors (``signing.vectors``)
``freshness``               nonces and timestamps from the journal (``nonce.unique``, ``timestamp.fresh``)
``signing``                 signatures over generated parameters, the query sort (``signing.generated``, ...)
``resilience``              clock skew, documented errors, faults on a write (``timestamp.skew``, ...)
``reads``                   exact decimals, empty lists (``decimal.exact``, ``lists.null-or-empty``)
``ledger``                  the order life cycle as a state machine (``ledger.stateful``)
``differential``            the reference client's scenario (``differential.reference``)
``futures_wire``            futures nonces, timestamps, query and body signing, numeric envelope, errors
``futures_trading``         account and position reads, hedge and one-way life cycles, settings, paging
``futures_differential``    the reference futures client's scenario (``futures.differential.reference``)
==========================  ===============================================================================

**A product's rules** go into modules of their own, as futures' do (their shared helpers, with the
expectations read from the futures endpoint table, are in ``futures_base``): ``from .base import call,
rule, traffic`` and declare each rule with ``@rule("<product>.<name>", ...)`` on its check (a rule named
``futures.<name>`` judges the futures product, and a client that does not declare futures gets it N/A;
``requires=`` its prerequisites, ``ops=`` naming the adapter operations it calls, which the adapter must
know). Then import the module below, after the modules whose rules it requires: its place in that list is
its rules' place in the run and in the reports.

A check raises :class:`RuleFailed` with an actionable message (plus the shrunk
example, the server's verdict and a curl repro when there is one). Rules that
need a working signed call list ``requires``; when a requirement failed they are
reported ``blocked`` rather than failed, so one bug shows up as one red rule.

A rule that passes may still **warn**: the mock journals every documented rule a
request broke that the live exchange tolerates (``warnings`` of a journal entry,
ids from ``mockserver.docrules``). The kit collects them from the journal of the
client's own requests, so any client in any language gets them, and reports the
rule WARN - never a failure.
"""

from __future__ import annotations

from ..context import Context
from ..outcomes import RuleFailed, RuleSkipped
from ..registry import Rule
from .base import RULES, rule

# The order of these imports is the order the rules run and are reported in.
# isort: off
from . import vectors, freshness, signing, resilience, reads, ledger, differential  # noqa: F401
from . import futures_wire, futures_trading, futures_differential  # noqa: F401
# isort: on

__all__ = ["RULES", "Context", "Rule", "RuleFailed", "RuleSkipped", "rule"]
