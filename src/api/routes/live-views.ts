import { Hono } from 'hono';
import type { SettingsStore } from '../../store/settings-store.js';
import { notFound } from '../../shared/errors.js';

export function liveViewRoutes(store: SettingsStore) {
  return new Hono()
    .get('/', (c) => c.json(store.get().live_views))
    .get('/:id', (c) => {
      const view = store.get().live_views.find((l) => l.id === c.req.param('id'));
      if (!view) throw notFound('live view', c.req.param('id'));
      return c.json(view);
    });
}
