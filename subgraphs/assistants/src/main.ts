import { runSubgraph } from '@switchboard/kit';
import { subgraph } from './subgraph';
runSubgraph(subgraph);
