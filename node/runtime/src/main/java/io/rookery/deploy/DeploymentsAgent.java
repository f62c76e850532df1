package io.rookery.deploy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * The cluster's record of its bundles: which versions were deployed and which one of each bundle
 * is active. It is a durable agent like any user's ({@value #TYPE}/{@value #KEY}), so every change
 * is a turn committed through the Raft group that owns its partition: consensus, and no node that
 * coordinates. Nodes read it to know what to load; the bytes themselves travel between nodes by hash.
 * <p>
 * Its rules are checked here, in the turn, so they hold whichever node asked: a version's types may
 * not clash with the types of another bundle's active version, a name and version always mean the
 * same bytes, and the active version is never pruned.
 */
public final class DeploymentsAgent implements AgentType<DeploymentsAgent.State, DeploymentsAgent.Command>
{
    /** The agent type of the record. */
    public static final String TYPE = "rookery.deployments";
    /** The key of the one agent of that type. */
    public static final String KEY = "cluster";
    /** The record's id. */
    public static final AgentId ID = AgentId.of(TYPE, KEY);

    /** A version is active: new activations and messages of its types go to it. */
    public static final String ACTIVE = "ACTIVE";
    /** A version a newer activation replaced; kept until pruned, for rollback. */
    public static final String SUPERSEDED = "SUPERSEDED";
    /** A version whose class loaders are closed and bytes deleted on every node. */
    public static final String PRUNED = "PRUNED";

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * One deployed version of a bundle.
     *
     * @param sha256       hash of its bytes.
     * @param name         bundle name.
     * @param version      bundle version.
     * @param types        agent types it provides.
     * @param size         bytes.
     * @param deployedAtMs when it was deployed.
     * @param deployedVia  node that took the upload (and so has the bytes).
     * @param status       ACTIVE, SUPERSEDED or PRUNED.
     * @param changedAtMs  when its status last changed.
     */
    public record Version(String sha256, String name, String version, List<String> types, long size,
        long deployedAtMs, String deployedVia, String status, long changedAtMs)
    {
        Version with(final String newStatus, final long atMs)
        {
            return new Version(sha256, name, version, types, size, deployedAtMs, deployedVia, newStatus, atMs);
        }

        /** @return "name@version". */
        public String label()
        {
            return name + "@" + version;
        }
    }

    /**
     * The record.
     *
     * @param generation counts changes.
     * @param versions   every version ever deployed, by hash.
     * @param active     the active version of each bundle: name to hash.
     */
    public record State(long generation, Map<String, Version> versions, Map<String, String> active)
    {
        /**
         * @param name a bundle name.
         * @return its active version, or null.
         */
        public Version activeVersion(final String name)
        {
            final String sha = active.get(name);
            return sha == null ? null : versions.get(sha);
        }

        /**
         * @param name    a bundle name.
         * @param version a version of it.
         * @return that version, or null.
         */
        public Version find(final String name, final String version)
        {
            return versions.values().stream().filter(v -> v.name().equals(name) && v.version().equals(version))
                .findFirst().orElse(null);
        }
    }

    /**
     * A change to the record, or {@code get}.
     *
     * @param op       "register" (a new version; activates it unless {@code activate} is false),
     *                 "activate" (name, version), "rollback" (name: the latest superseded version),
     *                 "prune" (name, version) or "get".
     * @param sha256   for register: the bytes' hash.
     * @param name     bundle name.
     * @param version  bundle version.
     * @param types    for register: the agent types.
     * @param size     for register: the size in bytes.
     * @param via      for register: the node that has the bytes.
     * @param activate for register: whether to activate it (default true).
     */
    public record Command(String op, String sha256, String name, String version, List<String> types, Long size,
        String via, Boolean activate)
    {
    }

    public String name()
    {
        return TYPE;
    }

    public Codec<State> stateCodec()
    {
        return STATE;
    }

    public Codec<Command> messageCodec()
    {
        return MESSAGES;
    }

    public State initialState(final AgentId id)
    {
        return new State(0, Map.of(), Map.of());
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final long now = ctx.nowMillis();
        final State next = switch (command.op() == null ? "" : command.op())
        {
            case "get" -> state;
            case "register" -> register(state, command, now);
            case "activate" -> activate(state, require(state, command), now);
            case "rollback" -> rollback(state, command, now);
            case "prune" -> prune(state, require(state, command), now);
            default -> throw new AgentException("unknown op '" + command.op() +
                "'; expected register, activate, rollback, prune or get");
        };
        ctx.reply(next);
        return next;
    }

    private static State register(final State state, final Command c, final long now)
    {
        if (!BundleStore.isSha256(c.sha256()) || c.name() == null || c.version() == null || c.types() == null)
        {
            throw new AgentException("register needs sha256, name, version and types");
        }
        final Version existing = state.versions().get(c.sha256());
        final Version sameLabel = state.find(c.name(), c.version());
        if (sameLabel != null && !sameLabel.sha256().equals(c.sha256()))
        {
            throw new AgentException("bundle " + sameLabel.label() + " is already deployed with other bytes (sha256 " +
                sameLabel.sha256() + "); give the new bytes a new version");
        }
        if (existing != null && PRUNED.equals(existing.status()))
        {
            throw new AgentException("bundle " + existing.label() + " was pruned; deploy it under a new version");
        }
        final Version version = existing != null ? existing : new Version(c.sha256(), c.name(), c.version(),
            List.copyOf(c.types()), c.size() == null ? 0 : c.size(), now, c.via(), SUPERSEDED, now);
        if (!Boolean.FALSE.equals(c.activate()))
        {
            return activate(put(state, version, false), version, now);
        }
        return put(state, version, true);
    }

    private static Version require(final State state, final Command c)
    {
        if (c.name() == null || c.version() == null)
        {
            throw new AgentException(c.op() + " needs name and version");
        }
        final Version version = state.find(c.name(), c.version());
        if (version == null)
        {
            throw new AgentException("no bundle " + c.name() + "@" + c.version() + " was deployed");
        }
        return version;
    }

    private static State activate(final State state, final Version version, final long now)
    {
        if (PRUNED.equals(version.status()))
        {
            throw new AgentException("bundle " + version.label() + " was pruned; deploy it again under a new version");
        }
        for (final Map.Entry<String, String> entry : state.active().entrySet())
        {
            if (entry.getKey().equals(version.name()))
            {
                continue;
            }
            final Version other = state.versions().get(entry.getValue());
            for (final String type : version.types())
            {
                if (other.types().contains(type))
                {
                    throw new AgentException("type clash: agent type '" + type + "' of " + version.label() +
                        " is provided by the active bundle " + other.label());
                }
            }
        }
        final Map<String, Version> versions = new TreeMap<>(state.versions());
        final Version previous = state.activeVersion(version.name());
        if (previous != null && previous.sha256().equals(version.sha256()))
        {
            return state;
        }
        if (previous != null)
        {
            versions.put(previous.sha256(), previous.with(SUPERSEDED, now));
        }
        versions.put(version.sha256(), version.with(ACTIVE, now));
        final Map<String, String> active = new TreeMap<>(state.active());
        active.put(version.name(), version.sha256());
        return new State(state.generation() + 1, versions, active);
    }

    private static State rollback(final State state, final Command c, final long now)
    {
        if (c.name() == null)
        {
            throw new AgentException("rollback needs name");
        }
        final Version current = state.activeVersion(c.name());
        final List<Version> earlier = new ArrayList<>(state.versions().values().stream()
            .filter(v -> v.name().equals(c.name()) && SUPERSEDED.equals(v.status()))
            .filter(v -> current == null || !v.sha256().equals(current.sha256()))
            .toList());
        if (earlier.isEmpty())
        {
            throw new AgentException("bundle " + c.name() + " has no earlier version left to roll back to");
        }
        earlier.sort(Comparator.comparingLong(Version::changedAtMs).thenComparing(Version::deployedAtMs));
        return activate(state, earlier.get(earlier.size() - 1), now);
    }

    private static State prune(final State state, final Version version, final long now)
    {
        if (ACTIVE.equals(version.status()))
        {
            throw new AgentException("bundle " + version.label() + " is active; activate another version first");
        }
        if (PRUNED.equals(version.status()))
        {
            return state;
        }
        return put(state, version.with(PRUNED, now), true);
    }

    private static State put(final State state, final Version version, final boolean count)
    {
        final Map<String, Version> versions = new TreeMap<>(state.versions());
        versions.put(version.sha256(), version);
        return new State(state.generation() + (count ? 1 : 0), versions, state.active());
    }
}
