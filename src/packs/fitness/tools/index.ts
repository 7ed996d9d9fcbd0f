import type { SecretBox } from '../../../shared/crypto.js';
import type { ToolDefinition } from '../../../tools/define.js';
import { createLeadTask, exportData, scheduleSocialPost, scheduleTask, updateClientTags } from './automation.js';
import { bookTrialClass, scheduleFacilityTour, viewCalendarEvents } from './calendar.js';
import { createRetentionCampaign, previewBulkMessage, sendBulkMessage } from './campaigns.js';
import { checkClassAvailability, searchClasses, viewClassBookings, viewClassSchedule } from './classes.js';
import { searchClients, updateClientStatus, viewClientBookings, viewClientPayments, viewClientProfile } from './clients.js';
import { calculateEngagementScore } from './engagement-tool.js';
import { generateWorkoutPlan, predictProgressTool, suggestSchedule } from './fitness.js';
import { searchLeads, updateLeadStatus, viewLeadProfile } from './leads.js';
import { sendMessageToClient, sendMessageToLead, sendReportEmail, sendRetentionMessage, sendSms } from './messaging.js';
import { queryPayments, querySubscriptions } from './payments.js';
import { generateHashtags, generateSocialContent } from './social.js';

export { registerFitnessToolRoutes } from './routes.js';

/** What the fitness tools need from the process: the key SMS auth tokens are encrypted with. */
export interface FitnessToolDeps {
  /** Without it (tool unit tests) no SMS provider can be set or used: SMS wait in the outbox. */
  secrets?: SecretBox;
}

/**
 * The fitness pack's CRM, messaging, automation and fitness tools (docs/fitness.md "Tools"). The
 * app registers them with the tool registry beside the built-ins (send_email, notify_staff,
 * create_support_ticket, schedule_follow_up, which the gym's agents use as they are).
 */
export function fitnessTools(deps: FitnessToolDeps = {}): ToolDefinition[] {
  const { secrets } = deps;
  return [
    // CRM data
    searchClients,
    viewClientProfile,
    viewClientBookings,
    viewClientPayments,
    updateClientStatus,
    searchLeads,
    viewLeadProfile,
    updateLeadStatus,
    searchClasses,
    viewClassSchedule,
    checkClassAvailability,
    viewClassBookings,
    queryPayments,
    querySubscriptions,
    calculateEngagementScore,
    // Messaging
    sendSms(secrets),
    sendMessageToClient(secrets),
    sendMessageToLead(secrets),
    sendRetentionMessage(secrets),
    sendReportEmail,
    previewBulkMessage,
    sendBulkMessage(secrets),
    // Automation
    scheduleTask,
    updateClientTags,
    exportData,
    createRetentionCampaign(secrets),
    createLeadTask,
    scheduleSocialPost,
    generateSocialContent,
    generateHashtags,
    viewCalendarEvents,
    bookTrialClass,
    scheduleFacilityTour,
    // Fitness
    generateWorkoutPlan,
    predictProgressTool,
    suggestSchedule,
  ];
}
