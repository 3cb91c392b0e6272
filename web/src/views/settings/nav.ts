import { createStore } from '../../stores/store.js';

export const SETTINGS_TABS = ['cameras', 'streaming', 'transmissions', 'home-assistant'] as const;
type SettingsTab = (typeof SETTINGS_TABS)[number];

export interface SettingsNav {
  tab: SettingsTab;
  /**
   * A camera to open in the editor when the Cameras tab shows: a generated transmission points
   * its user at the camera source that owns it.
   */
  editCamera: string | null;
}

/** Module-wide, so going to Streams and back keeps the tab. */
export const settingsNavStore = createStore<SettingsNav>({ tab: 'cameras', editCamera: null });
