// What a supervisor reads off one interaction record: its queues, agents, wait, handle time and outcome.

const REASONS = {
  answered: "Answered",
  abandoned: "Abandoned in queue",
  "timed-out": "Timed out in queue",
  "exited-with-key": "Left the queue (key)",
  "left-empty": "Queue emptied",
  "moved-by-flow": "Moved by the flow",
  "refused-full": "Refused: queue full",
  "refused-empty": "Refused: no agents",
  closed: "Refused: queue closed",
  diverted: "Diverted",
};

const unique = (values) => [...new Set(values.filter(Boolean))];

export function queueNames(record) {
  return unique((record.queues || []).map((q) => q.queueName || q.queueId));
}

export function agentNames(record) {
  const accepted = (record.agents || []).filter((a) => a.agentWorkAccepted);
  return unique(accepted.map((a) => a.agentName || a.agentId));
}

/** Seconds waited in queues, summed; null when the interaction never queued. */
export function waitTime(record) {
  const queues = (record.queues || []).filter((q) => typeof q.queueTime === "number");
  return queues.length ? queues.reduce((sum, q) => sum + q.queueTime, 0) : null;
}

/** Agents' handle time, summed; null when no agent handled it. */
export function handleTime(record) {
  const agents = (record.agents || []).filter((a) => typeof a.agentHandleTime === "number");
  return agents.length ? agents.reduce((sum, a) => sum + a.agentHandleTime, 0) : null;
}

/** {text, kind}: kind is "good", "bad" or "neutral", shown with the text (never colour alone). */
export function outcome(record) {
  const queues = record.queues || [];
  const answered = (record.agents || []).some((a) => a.agentWorkAccepted);
  if (record.ivrAbandoned) return { text: "Abandoned in IVR", kind: "bad" };
  if (queues.some((q) => q.queueAbandoned)) return { text: "Abandoned in queue", kind: "bad" };
  if (answered) {
    const transfers = record.customerTransfers ? ` · ${record.customerTransfers} transfer${record.customerTransfers > 1 ? "s" : ""}` : "";
    return { text: `Answered${transfers}`, kind: "good" };
  }
  if (record.customerAbandonTime !== undefined) return { text: "Abandoned", kind: "bad" };
  if (!record.endTimestamp) return { text: queues.some((q) => !q.endTimestamp) ? "Waiting in queue" : "In progress", kind: "neutral" };
  const last = queues[queues.length - 1];
  if (last && last.queueExitReason) return { text: REASONS[last.queueExitReason] || last.queueExitReason, kind: "neutral" };
  return { text: "Ended in the flow", kind: "neutral" };
}
