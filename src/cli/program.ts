/** The `fits-ingest` command line. */
export async function runCli(argv: string[]): Promise<number> {
  void argv;
  process.stdout.write('fits-ingest: no commands yet\n');
  return 0;
}
