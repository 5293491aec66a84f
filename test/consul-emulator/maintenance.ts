// Maintenance mode as the agent does it (agent.go Enable/DisableNodeMaintenance,
// Enable/DisableServiceMaintenance): a critical check the agent registers
// itself, `_node_maintenance` for the node or `_service_maintenance:<id>` for
// one service, with the reason in Notes (or the agent's default sentence).
// Enabling twice keeps the first reason; disabling removes the check.

import { HttpError, type CheckDef } from "./decode.js";
import type { AgentState } from "./state.js";

export const NODE_MAINT = "_node_maintenance";
export const serviceMaintId = (serviceId: string) => `_service_maintenance:${serviceId}`;
export const DEFAULT_NODE_REASON = "Maintenance mode is enabled for this node, but no reason was provided. This is a default message.";
export const DEFAULT_SERVICE_REASON = "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.";

const check = (checkId: string, name: string, notes: string, serviceId: string): CheckDef => ({
  checkId, name, notes, status: "critical", serviceId, type: "", ttlMs: 0, interval: "", timeout: "",
});

export function nodeMaintenance(state: AgentState, enable: boolean, reason = ""): void {
  const on = state.checks.has(NODE_MAINT);
  if (enable && !on) state.registerCheck(check(NODE_MAINT, "Node Maintenance Mode", reason || DEFAULT_NODE_REASON, ""));
  if (!enable && on) state.deregisterCheck(NODE_MAINT);
}

export function serviceMaintenance(state: AgentState, serviceId: string, enable: boolean, reason = ""): void {
  if (!state.services.has(serviceId)) throw new HttpError(404, `No service registered with ID "${serviceId}"`);
  const id = serviceMaintId(serviceId);
  const on = state.checks.has(id);
  if (enable && !on) state.registerCheck(check(id, "Service Maintenance Mode", reason || DEFAULT_SERVICE_REASON, serviceId));
  if (!enable && on) state.deregisterCheck(id);
}
