/** A stock @apollo/gateway as its own process, for the benchmark: SUPERGRAPH_FILE, PORT. */
import { readFileSync } from 'node:fs';
import { startStockApollo } from './gateways';

startStockApollo(readFileSync(process.env.SUPERGRAPH_FILE!, 'utf8'), Number(process.env.PORT)).catch((error) => {
  process.stderr.write(String(error));
  process.exit(1);
});
