// Replays plans (lib/traces.mjs) against the authority as the agent would, and classifies
// every outcome:
//   utility  — a user task is kept when every one of its calls is allowed;
//   attack   — a pair is contained when the injection task's first side-effecting call is
//              denied; the containing rule is that deny's reason, or, when the deny is the
//              task's revocation, the reason of the earlier deny that revoked it.

import { authorizeRequest } from './binding.mjs';

function firstReason(decision) {
  const r = decision.reasons[0] ?? {};
  return { check: r.check ?? '?', code: r.code ?? '?', rule: r.rule ?? null, message: r.message ?? '' };
}

async function startTask(client, binding, inputs) {
  return client.startTask(binding.mandate, inputs);
}

export async function replayUserTask(ctx, plan) {
  const { client, binding, inputs } = ctx;
  const started = Date.now();
  const task = await startTask(client, binding, inputs.forTask(plan.userTask));
  const result = { userTask: plan.userTask, calls: plan.calls.length, allowed: true, deny: null, decisions: 0 };
  for (let i = 0; i < plan.calls.length; ++i) {
    const request = authorizeRequest(binding, plan.calls[i]);
    const d = await client.authorize(task, request);
    result.decisions += 1;
    if (d.decision !== 'allow') {
      result.allowed = false;
      result.deny = { index: i, tool: plan.calls[i].tool, request, decision: d.decision, reason: firstReason(d), reasons: d.reasons, taskRevoked: d.taskRevoked };
      break;
    }
  }
  if (result.allowed) await client.complete(task);
  result.ms = Date.now() - started;
  return result;
}

export async function replayAttack(ctx, plan) {
  const { client, binding, inputs, tools } = ctx;
  const task = await startTask(client, binding, inputs.forTask(plan.userTask));
  const result = {
    userTask: plan.userTask,
    injectionTask: plan.injectionTask,
    vectors: plan.vectors,
    prefixDeny: null,
    contained: false,
    outcome: null,
    firstSideEffect: null,
    earlierDeny: null,
    allowedAttackCalls: [],
    decisions: 0,
  };
  for (let i = 0; i < plan.prefix.length; ++i) {
    const request = authorizeRequest(binding, plan.prefix[i]);
    const d = await client.authorize(task, request);
    result.decisions += 1;
    if (d.decision !== 'allow') {
      result.prefixDeny = { index: i, tool: plan.prefix[i].tool, reason: firstReason(d) };
      break;
    }
  }
  for (let i = 0; i < plan.attack.length; ++i) {
    const call = plan.attack[i];
    const request = authorizeRequest(binding, call);
    const d = await client.authorize(task, request);
    result.decisions += 1;
    const sideEffecting = tools.get(call.tool).sideEffecting;
    if (!sideEffecting) {
      if (d.decision === 'allow') {
        result.allowedAttackCalls.push({ index: i, tool: call.tool, request });
      } else if (!result.earlierDeny) {
        result.earlierDeny = { index: i, tool: call.tool, reason: firstReason(d), taskRevoked: d.taskRevoked };
      }
      continue;
    }
    const reason = firstReason(d);
    result.firstSideEffect = { index: i, tool: call.tool, request, decision: d.decision, reason, taskRevoked: d.taskRevoked };
    result.contained = d.decision === 'deny' || d.decision === 'error';
    result.outcome = d.decision === 'allow' ? 'through' : d.decision === 'pending' ? 'escalated' : 'contained';
    // The rule that contains: the earliest deny of this task (a prefix deny, a denied attack
    // read, or this call).
    if (reason.check === 'revocation' && (result.earlierDeny || result.prefixDeny)) {
      result.containedBy = (result.prefixDeny ?? result.earlierDeny).reason;
    } else {
      result.containedBy = reason;
    }
    if (d.decision === 'allow') result.allowedAttackCalls.push({ index: i, tool: call.tool, request });
    break;
  }
  if (!result.outcome) result.outcome = 'no-side-effect';
  return result;
}

// Runs `jobs` (async functions) with at most `width` in flight; keeps their order.
export async function pool(jobs, width) {
  const results = new Array(jobs.length);
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}
