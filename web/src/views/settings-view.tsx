export function SettingsView() {
  return <section class="settings" />;
}
