export function StreamsView() {
  return <section class="streams" />;
}
