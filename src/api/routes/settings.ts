import { Hono } from 'hono';
import { streamingSettingsPatchSchema } from '../../domain/settings.js';
import type { SettingsService } from '../../control/settings.js';
import { wizardInputSchema, type WizardService } from '../../control/wizard.js';
import { jsonBody } from '../validate.js';

export function settingsRoutes(settings: SettingsService, wizard: WizardService) {
  return new Hono()
    .get('/settings', (c) => c.json(settings.get()))
    .patch('/settings', async (c) => c.json(await settings.patch(await jsonBody(c, streamingSettingsPatchSchema))))
    .post('/wizard/create-pipeline', async (c) => c.json(await wizard.createPipeline(await jsonBody(c, wizardInputSchema)), 201));
}
