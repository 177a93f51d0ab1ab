import * as vitest from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { catalogConformance } from '../../../src/testing/index.js';

catalogConformance(vitest, ({ instruments }) => createMemoryCatalog({ instruments }), { title: 'memory catalog conformance' });
