/**
 * User settings the language layer reads: today only `irq.profile` (which model of the hardware the
 * checks follow: the specification, or QEMU with its known divergences).
 *
 * The value follows Langium's ConfigurationProvider (section `irq`, i.e. the client's `irq.*` settings),
 * so a language server needs no glue of its own; the CLI and tests set `profile` directly.
 */
import { Emitter, type Event, type LangiumCoreServices } from 'langium';
import type { Profile } from './engine/model.js';

export const DEFAULT_PROFILE: Profile = 'spec';

export function isProfile(v: unknown): v is Profile {
    return v === 'spec' || v === 'qemu';
}

export class IrqSettings {
    private current: Profile = DEFAULT_PROFILE;
    private readonly changed = new Emitter<Profile>();

    constructor(services?: LangiumCoreServices) {
        if (!services) return;
        const config = services.shared.workspace.ConfigurationProvider;
        const section = services.LanguageMetaData.languageId;
        // Initial value: fetched by the provider when the client is initialised.
        void config.ready.then(async () => {
            const value = await config.getConfiguration(section, 'profile');
            if (isProfile(value)) this.profile = value;
        }).catch(() => undefined);
        config.onConfigurationSectionUpdate(update => {
            if (update.section !== section) return;
            const value = (update.configuration as { profile?: unknown } | undefined)?.profile;
            this.profile = isProfile(value) ? value : DEFAULT_PROFILE;
        });
    }

    get profile(): Profile {
        return this.current;
    }

    /** Setting a new profile fires `onDidChangeProfile`; the server then re-validates open documents. */
    set profile(value: Profile) {
        if (value === this.current) return;
        this.current = value;
        this.changed.fire(value);
    }

    get onDidChangeProfile(): Event<Profile> {
        return this.changed.event;
    }
}
