import type { Config } from '../../config/load.js';
import type { SecretBox } from '../../shared/crypto.js';
import type { ToolDefinition } from '../define.js';
import { calculator } from './calculator.js';
import { createSupportTicket } from './create-support-ticket.js';
import { currentTime } from './current-time.js';
import { httpRequest } from './http-request.js';
import { notifyStaff } from './notify-staff.js';
import { scheduleFollowUp } from './schedule-follow-up.js';
import { sendEmail } from './send-email.js';
import { sendSlackMessage } from './send-slack-message.js';
import { sendWebhook } from './send-webhook.js';
import { triggerWorkflow } from './trigger-workflow.js';
import { emitEvent } from './emit-event.js';

/** The built-in pack. The network tools take the config for their time limits; send_webhook the key its signing secret is stored under. */
export function builtinTools(config: Config, secrets?: SecretBox): ToolDefinition[] {
  return [
    calculator,
    currentTime,
    httpRequest(config),
    sendEmail,
    sendWebhook(config, secrets),
    sendSlackMessage(config),
    notifyStaff,
    createSupportTicket,
    scheduleFollowUp,
    triggerWorkflow,
    emitEvent,
  ];
}
