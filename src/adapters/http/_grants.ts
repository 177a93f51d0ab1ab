/**
 * Collaborators of a program: its PI (a token whose entry in the tokens file `pi` lists the program) or an admin
 * grants another site read access to the program's proprietary files. Who may grant is decided from the tokens
 * file, never from what the request says; grants are stored in the catalog, so they survive a restart and hosts
 * sharing a catalog share them (each refreshes them at every release check). Internal to src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { Catalog, ProgramGrant } from '../../core/ports/catalog.js';
import type { Logger } from '../../core/ports/logger.js';
import { isAdmin, type Principal, type TokenStore } from './_auth.js';

const PROGRAM = /^[A-Za-z0-9._+-]{1,64}$/;
const SITE = /^[A-Za-z0-9._-]{1,64}$/;

/** Grants, kept in the catalog and mirrored into the token store's principals. */
export class GrantService {
  constructor(
    private readonly deps: { catalog: Catalog; tokens: TokenStore; logger: Logger; now: () => number },
  ) {}

  #store(): Required<Pick<Catalog, 'programGrants' | 'grantProgram' | 'revokeProgram'>> {
    const { catalog } = this.deps;
    if (!catalog.programGrants || !catalog.grantProgram || !catalog.revokeProgram) {
      throw new IngestError('UNSUPPORTED_OPERATION', `the ${catalog.name} catalog cannot store program grants`, { hint: 'use the SQLite, PostgreSQL or in-memory catalog' });
    }
    return { programGrants: catalog.programGrants.bind(catalog), grantProgram: catalog.grantProgram.bind(catalog), revokeProgram: catalog.revokeProgram.bind(catalog) };
  }

  /** Reads the grants from the catalog into the token store (no-op for a catalog without grants). */
  async refresh(): Promise<void> {
    const { catalog, tokens } = this.deps;
    if (catalog.programGrants) tokens.setGrants(await catalog.programGrants());
  }

  /**
   * Checks that `principal` leads `program` (or is an admin) and returns the program upper case.
   *
   * @throws IngestError BAD_REQUEST (not a program id), FORBIDDEN
   */
  #owned(principal: Principal, program: string): string {
    if (!PROGRAM.test(program)) throw new IngestError('BAD_REQUEST', `${JSON.stringify(program)} is not a program id`, { context: { field: 'program' } });
    const upper = program.toUpperCase();
    if (!isAdmin(principal) && !principal.leads?.has(upper)) {
      throw new IngestError('FORBIDDEN', `the token of ${principal.site} is not the PI's of ${upper} (the tokens file names a program's PI with "pi")`);
    }
    return upper;
  }

  async list(principal: Principal, program: string): Promise<ProgramGrant[]> {
    const upper = this.#owned(principal, program);
    return (await this.#store().programGrants()).filter((g) => g.program === upper);
  }

  /** Grants `site` the program; false when it already had it. */
  async grant(principal: Principal, program: string, site: string): Promise<boolean> {
    const upper = this.#owned(principal, program);
    if (!SITE.test(site)) throw new IngestError('BAD_REQUEST', `${JSON.stringify(site)} is not a site name`, { context: { field: 'site' } });
    if (!this.deps.tokens.hasSite(site)) throw new IngestError('BAD_REQUEST', `no token of the tokens file belongs to site ${site}: ask the archive to add one first`, { context: { field: 'site' } });
    const grantedBy = `${isAdmin(principal) && !principal.leads?.has(upper) ? 'operator' : 'pi'}:${principal.site}`;
    const added = await this.#store().grantProgram({ program: upper, site, grantedBy, grantedAt: this.deps.now() });
    await this.refresh();
    this.deps.logger.info('program granted', { program: upper, site, grantedBy });
    return added;
  }

  /** Takes the program back from `site`; false when it had no grant. */
  async revoke(principal: Principal, program: string, site: string): Promise<boolean> {
    const upper = this.#owned(principal, program);
    const removed = await this.#store().revokeProgram(upper, site);
    await this.refresh();
    this.deps.logger.info('program grant revoked', { program: upper, site, by: principal.site });
    return removed;
  }
}
