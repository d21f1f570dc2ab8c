// A neighbour for benchmarks that must run on a busy machine: burns CPU for `cores` of one core (0 < cores <= 1),
// as busy slices of 10 ms spread over each 10 / cores ms, until killed. Usage: node bench/neighbour.mjs 0.3
const cores = Number(process.argv[2] ?? '0.3');
if (!(cores > 0 && cores <= 1)) {
  console.error('usage: node bench/neighbour.mjs <cores, 0 < cores <= 1>');
  process.exit(2);
}
const slice = 10;
const period = slice / cores;
function burn() {
  const until = performance.now() + slice;
  while (performance.now() < until) { /* busy */ }
  setTimeout(burn, period - slice);
}
burn();
