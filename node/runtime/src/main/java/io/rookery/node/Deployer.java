package io.rookery.node;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.rookery.api.Codecs;
import io.rookery.deploy.BundleDescriptor;
import io.rookery.deploy.BundleLoader;
import io.rookery.deploy.BundleRefusedException;
import io.rookery.deploy.BundleStore;
import io.rookery.deploy.DeploymentsAgent;
import io.rookery.deploy.LoadedBundle;
import io.rookery.gossip.NodeMetadata;
import io.rookery.transport.LogLimiter;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's agent code in step with the cluster's record of deployments
 * ({@link DeploymentsAgent}). A bundle uploaded here is checked and loaded before the record hears
 * of it; every node then reads the record, fetches the bytes of versions it lacks by hash from a
 * peer, checks the hash, loads them in their own class loader and makes the active versions the
 * ones its turn loops use. A version that does not load here leaves the running one in place.
 * Superseded versions that no node still runs an agent on are pruned after a retention: the
 * record marks them, and each node closes their class loader and deletes their bytes.
 */
final class Deployer implements AutoCloseable
{
    /** Largest bundle a node takes. */
    static final int MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(Deployer.class);
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(10);

    private final RookeryNode node;
    private final AgentRuntime runtime;
    private final BundleStore store;
    private final BundleLoader loader;
    private final Duration syncInterval;
    private final Duration retention;
    private final ScheduledExecutorService executor;
    private final Map<String, LoadedBundle> loaded = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final LogLimiter failureLog = new LogLimiter(10, TimeUnit.SECONDS);
    private volatile Map<String, String> installed = Map.of();
    private volatile DeploymentsAgent.State record;
    private volatile long recordReadAtMs;

    Deployer(final RookeryNode node, final AgentRuntime runtime, final Path dir, final Duration syncInterval,
        final Duration retention)
    {
        this.node = node;
        this.runtime = runtime;
        this.store = new BundleStore(dir);
        this.loader = new BundleLoader(Deployer.class.getClassLoader());
        this.syncInterval = syncInterval;
        this.retention = retention;
        this.executor = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "rookery-deployer-" + runtime.nodeId());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Loads the versions that were active when this node last knew, so a restarted node serves
     * its bundles' types at once; the record corrects it as soon as it can be read.
     */
    void preload()
    {
        final List<LoadedBundle> bundles = new ArrayList<>();
        final Map<String, String> remembered = store.rememberedActive();
        for (final Map.Entry<String, String> entry : remembered.entrySet())
        {
            final byte[] bytes = store.read(entry.getValue());
            if (bytes == null || !BundleStore.sha256(bytes).equals(entry.getValue()))
            {
                continue;
            }
            try
            {
                final LoadedBundle bundle = loader.load(store.path(entry.getValue()), entry.getValue(),
                    BundleDescriptor.read(bytes));
                loaded.put(bundle.sha256(), bundle);
                bundles.add(bundle);
            }
            catch (final BundleRefusedException ex)
            {
                LOG.warn("bundle {} noted as active does not load any more: {}", entry.getKey(), ex.getMessage());
            }
        }
        if (!bundles.isEmpty())
        {
            install(bundles);
        }
    }

    void start()
    {
        GaugeWithCallback.builder()
            .name("rookery_bundle_agents")
            .help("Agents in memory on this node, by bundle and version (the classpath's types as bundle \"-\")")
            .labelNames("bundle", "version", "state")
            .callback(callback ->
            {
                final Map<String, Integer> counts = activationsBySha();
                for (final LoadedBundle bundle : loaded.values())
                {
                    callback.call(counts.getOrDefault(bundle.sha256(), 0), bundle.descriptor().name(),
                        bundle.descriptor().version(),
                        installed.containsValue(bundle.sha256()) ? "active" : "inactive");
                }
            })
            .register(runtime.metrics().registry());
        executor.scheduleWithFixedDelay(this::syncQuietly, 0, syncInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close()
    {
        executor.shutdownNow();
    }

    /**
     * Checks, keeps and loads an uploaded bundle, then records it (and, unless told not to,
     * activates it) through consensus.
     *
     * @param bytes       the jar.
     * @param expectedSha the SHA-256 the uploader says it has, or null.
     * @param activate    whether to activate it.
     * @return what the record says of it.
     * @throws BundleRefusedException when it is refused; nothing running changes.
     */
    Map<String, Object> deploy(final byte[] bytes, final String expectedSha, final boolean activate)
    {
        try
        {
            final Map<String, Object> result = doDeploy(bytes, expectedSha, activate);
            runtime.metrics().deploys.labelValues("deployed").inc();
            return result;
        }
        catch (final BundleRefusedException ex)
        {
            runtime.metrics().deploys.labelValues(ex.reason()).inc();
            LOG.warn("bundle refused reason={} {}", ex.reason(), ex.getMessage());
            throw ex;
        }
    }

    private Map<String, Object> doDeploy(final byte[] bytes, final String expectedSha, final boolean activate)
    {
        if (bytes.length > MAX_BUNDLE_BYTES)
        {
            throw new BundleRefusedException("too_large", "a bundle may have at most " + MAX_BUNDLE_BYTES + " bytes");
        }
        final String sha = BundleStore.sha256(bytes);
        if (expectedSha != null && !expectedSha.equalsIgnoreCase(sha))
        {
            throw new BundleRefusedException("hash_mismatch", "the bundle's SHA-256 is " + sha + ", not the " +
                expectedSha + " it was sent with: the bytes changed on the way");
        }
        final BundleDescriptor descriptor = BundleDescriptor.read(bytes);
        for (final String type : descriptor.types())
        {
            if (runtime.registry().isBuiltIn(type))
            {
                throw new BundleRefusedException("type_clash", "type clash: agent type '" + type + "' of " +
                    descriptor.label() + " is built into the nodes' classpath");
            }
        }
        final DeploymentsAgent.State current = readRecord();
        if (current != null)
        {
            checkClash(current, descriptor);
        }
        final boolean keptBefore = store.has(sha);
        final Path path = store.put(sha, bytes);
        LoadedBundle bundle = loaded.get(sha);
        if (bundle == null)
        {
            try
            {
                bundle = loader.load(path, sha, descriptor);
            }
            catch (final BundleRefusedException ex)
            {
                if (!keptBefore)
                {
                    store.delete(sha);
                }
                throw ex;
            }
            loaded.put(sha, bundle);
        }
        final Map<String, Object> command = new LinkedHashMap<>();
        command.put("op", "register");
        command.put("sha256", sha);
        command.put("name", descriptor.name());
        command.put("version", descriptor.version());
        command.put("types", descriptor.types());
        command.put("size", bytes.length);
        command.put("via", runtime.nodeId());
        command.put("activate", activate);
        final DeploymentsAgent.State after = change(command);
        syncNow();
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("sha256", sha);
        result.put("bundle", descriptor.name());
        result.put("version", descriptor.version());
        result.put("types", descriptor.types());
        result.put("size", bytes.length);
        result.put("active", sha.equals(after.active().get(descriptor.name())));
        result.put("generation", after.generation());
        return result;
    }

    private static void checkClash(final DeploymentsAgent.State state, final BundleDescriptor descriptor)
    {
        for (final Map.Entry<String, String> entry : state.active().entrySet())
        {
            if (entry.getKey().equals(descriptor.name()))
            {
                continue;
            }
            final DeploymentsAgent.Version other = state.versions().get(entry.getValue());
            for (final String type : descriptor.types())
            {
                if (other != null && other.types().contains(type))
                {
                    throw new BundleRefusedException("type_clash", "type clash: agent type '" + type + "' of " +
                        descriptor.label() + " is provided by the active bundle " + other.label());
                }
            }
        }
    }

    /**
     * Activates a deployed version.
     *
     * @return the record after the change.
     */
    DeploymentsAgent.State activate(final String name, final String version)
    {
        final DeploymentsAgent.State after = change(Map.of("op", "activate", "name", name, "version", version));
        syncNow();
        return after;
    }

    /**
     * Activates the version a bundle had before its current one.
     *
     * @return the record after the change.
     */
    DeploymentsAgent.State rollback(final String name)
    {
        final DeploymentsAgent.State after = change(Map.of("op", "rollback", "name", name));
        syncNow();
        return after;
    }

    /**
     * Prunes a version by hand, once no live node runs an agent on it.
     *
     * @return the record after the change.
     * @throws IllegalStateException when a node still needs it or cannot tell.
     */
    DeploymentsAgent.State prune(final String name, final String version)
    {
        final DeploymentsAgent.State current = requireRecord();
        final DeploymentsAgent.Version v = current.find(name, version);
        if (v != null && DeploymentsAgent.SUPERSEDED.equals(v.status()))
        {
            final String blocker = drainBlocker(v.sha256());
            if (blocker != null)
            {
                throw new IllegalStateException("bundle " + v.label() + " is not drained: " + blocker);
            }
        }
        final DeploymentsAgent.State after = change(Map.of("op", "prune", "name", name, "version", version));
        syncNow();
        return after;
    }

    private DeploymentsAgent.State change(final Map<String, Object> command)
    {
        final Response response = runtime.router().request(DeploymentsAgent.ID, Codecs.toJson(command),
            RequestKind.ASK, null, runtime.limits().requestTimeout()).join();
        if (response.status() == Status.AGENT_ERROR)
        {
            final String message = response.payloadText();
            throw new BundleRefusedException(message.startsWith("type clash") ? "type_clash" : "refused", message);
        }
        if (!response.isOk())
        {
            throw new IllegalStateException("the deployment record did not take the change (" + response.status() +
                "): " + response.payloadText());
        }
        final DeploymentsAgent.State state = Codecs.parseJsonAs(response.payload(), DeploymentsAgent.State.class);
        record = state;
        return state;
    }

    private DeploymentsAgent.State requireRecord()
    {
        final DeploymentsAgent.State state = readRecord();
        if (state == null)
        {
            throw new IllegalStateException("the deployment record cannot be read now; retry");
        }
        return state;
    }

    /** @return the record, read linearizably, or null when it cannot be read now. */
    private DeploymentsAgent.State readRecord()
    {
        final Response response = runtime.router().request(DeploymentsAgent.ID, new byte[0], RequestKind.READ, null,
            runtime.limits().requestTimeout()).join();
        if (!response.isOk())
        {
            return null;
        }
        final JsonNode view = Codecs.parseJson(response.payload());
        final DeploymentsAgent.State state = Codecs.parseJsonAs(
            view.get("state").toString().getBytes(StandardCharsets.UTF_8), DeploymentsAgent.State.class);
        record = state;
        recordReadAtMs = System.currentTimeMillis();
        return state;
    }

    /** Reads the record and acts on it now, on the deployer's thread. */
    void syncNow()
    {
        try
        {
            executor.submit(this::syncQuietly).get(2 * runtime.limits().requestTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        }
        catch (final Exception ex)
        {
            LOG.warn("deployment sync did not finish: {}", ex.toString());
        }
    }

    private void syncQuietly()
    {
        try
        {
            sync();
        }
        catch (final RuntimeException ex)
        {
            if (failureLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.warn("deployment sync failed: {}", ex.toString());
            }
        }
    }

    private void sync()
    {
        if (node.isStopping())
        {
            return;
        }
        final DeploymentsAgent.State state = readRecord();
        if (state == null)
        {
            return;
        }
        final Map<String, String> next = new TreeMap<>();
        final List<LoadedBundle> bundles = new ArrayList<>();
        for (final Map.Entry<String, String> entry : state.active().entrySet())
        {
            LoadedBundle bundle = ensureLoaded(state.versions().get(entry.getValue()));
            if (bundle == null)
            {
                // The running version stays until the new one loads here.
                final String running = installed.get(entry.getKey());
                bundle = running == null ? null : loaded.get(running);
            }
            if (bundle != null)
            {
                next.put(entry.getKey(), bundle.sha256());
                bundles.add(bundle);
            }
        }
        if (!next.equals(installed))
        {
            install(bundles);
        }
        pruneLocally(state);
        if (runtime.servingGroup(node.partitionOf(DeploymentsAgent.ID)) != 0)
        {
            autoPrune(state);
        }
    }

    private void install(final List<LoadedBundle> bundles)
    {
        final Map<String, String> next = new TreeMap<>();
        bundles.forEach(b -> next.put(b.descriptor().name(), b.sha256()));
        try
        {
            runtime.registry().install(bundles);
        }
        catch (final IllegalArgumentException ex)
        {
            if (failureLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.error("active bundles not installed, the running ones stay: {}", ex.getMessage());
            }
            return;
        }
        installed = Map.copyOf(next);
        store.rememberActive(next);
        LOG.info("active bundles now {}", bundles.stream().map(b -> b.descriptor().label()).toList());
    }

    private LoadedBundle ensureLoaded(final DeploymentsAgent.Version version)
    {
        if (version == null)
        {
            return null;
        }
        final LoadedBundle existing = loaded.get(version.sha256());
        if (existing != null)
        {
            return existing;
        }
        try
        {
            byte[] bytes = store.read(version.sha256());
            if (bytes == null || !BundleStore.sha256(bytes).equals(version.sha256()))
            {
                bytes = fetch(version);
                store.put(version.sha256(), bytes);
            }
            final LoadedBundle bundle = loader.load(store.path(version.sha256()), version.sha256(),
                BundleDescriptor.read(bytes));
            loaded.put(bundle.sha256(), bundle);
            failures.remove(version.sha256());
            runtime.metrics().bundleLoads.labelValues("loaded").inc();
            LOG.info("bundle {} loaded sha256={}", version.label(), version.sha256());
            return bundle;
        }
        catch (final BundleRefusedException | IllegalStateException ex)
        {
            if (failures.put(version.sha256(), ex.getMessage()) == null)
            {
                runtime.metrics().bundleLoads.labelValues("failed").inc();
                LOG.error("bundle {} does not load on this node; the running version stays: {}", version.label(),
                    ex.getMessage());
            }
            return null;
        }
    }

    private byte[] fetch(final DeploymentsAgent.Version version)
    {
        final List<NodeMetadata> peers = new ArrayList<>();
        for (final NodeMetadata member : runtime.membership().members())
        {
            if (member.nodeId().equals(runtime.nodeId()))
            {
                continue;
            }
            if (member.nodeId().equals(version.deployedVia()))
            {
                peers.add(0, member);
            }
            else
            {
                peers.add(member);
            }
        }
        final StringBuilder tried = new StringBuilder();
        for (final NodeMetadata peer : peers)
        {
            try
            {
                final HttpResponse<byte[]> response = node.peerClient().send(
                    node.peerRequest(peer.httpEndpoint(), "/admin/bundles/" + version.sha256())
                        .timeout(PEER_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200)
                {
                    tried.append(' ').append(peer.nodeId()).append(':').append(response.statusCode());
                    continue;
                }
                final String sha = BundleStore.sha256(response.body());
                if (!sha.equals(version.sha256()))
                {
                    runtime.metrics().bundleLoads.labelValues("hash_mismatch").inc();
                    LOG.error("bundle {} from {} has SHA-256 {}, not {}: discarded", version.label(), peer.nodeId(),
                        sha, version.sha256());
                    tried.append(' ').append(peer.nodeId()).append(":hash-mismatch");
                    continue;
                }
                return response.body();
            }
            catch (final java.io.IOException ex)
            {
                tried.append(' ').append(peer.nodeId()).append(':').append(ex.getClass().getSimpleName());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while fetching bundle " + version.label(), ex);
            }
        }
        throw new IllegalStateException("no live node gave the bytes of " + version.label() + " (sha256 " +
            version.sha256() + "); tried" + (tried.length() == 0 ? " none" : tried));
    }

    private void pruneLocally(final DeploymentsAgent.State state)
    {
        final Map<String, Integer> counts = activationsBySha();
        for (final DeploymentsAgent.Version version : state.versions().values())
        {
            if (!DeploymentsAgent.PRUNED.equals(version.status()) || installed.containsValue(version.sha256()))
            {
                continue;
            }
            final LoadedBundle bundle = loaded.get(version.sha256());
            if (bundle != null)
            {
                if (counts.getOrDefault(bundle.sha256(), 0) > 0 || !allMoved())
                {
                    continue;
                }
                loaded.remove(bundle.sha256());
                runtime.registry().forget(bundle);
                bundle.close();
                runtime.metrics().prunes.inc();
                LOG.info("bundle {} pruned: class loader closed, bytes deleted", version.label());
            }
            if (store.has(version.sha256()))
            {
                store.delete(version.sha256());
            }
            failures.remove(version.sha256());
        }
    }

    private void autoPrune(final DeploymentsAgent.State state)
    {
        final long now = System.currentTimeMillis();
        for (final DeploymentsAgent.Version version : state.versions().values())
        {
            if (!DeploymentsAgent.SUPERSEDED.equals(version.status()) ||
                now - version.changedAtMs() < retention.toMillis() || drainBlocker(version.sha256()) != null)
            {
                continue;
            }
            try
            {
                change(Map.of("op", "prune", "name", version.name(), "version", version.version()));
                LOG.info("bundle {} drained on every live node for {} s: pruned", version.label(),
                    retention.toSeconds());
            }
            catch (final RuntimeException ex)
            {
                LOG.info("bundle {} not pruned: {}", version.label(), ex.getMessage());
            }
        }
    }

    /**
     * @return why a version is not drained (a node still runs agents on it, has not moved its
     * agents yet, or cannot be asked), or null when it is drained on every live node.
     */
    private String drainBlocker(final String sha)
    {
        final Map<String, Object> mine = localStatus();
        final String own = blocker(runtime.nodeId(), mine, sha);
        if (own != null)
        {
            return own;
        }
        for (final Map.Entry<String, Map<String, Object>> peer : peerStatuses().entrySet())
        {
            final String theirs = blocker(peer.getKey(), peer.getValue(), sha);
            if (theirs != null)
            {
                return theirs;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static String blocker(final String nodeId, final Map<String, Object> status, final String sha)
    {
        if (status == null || status.isEmpty())
        {
            return "node " + nodeId + " did not answer";
        }
        final Map<String, Object> installedThere = (Map<String, Object>)status.getOrDefault("installed", Map.of());
        if (installedThere.containsValue(sha))
        {
            return "node " + nodeId + " runs it as its active version";
        }
        if (!Boolean.TRUE.equals(status.get("agentsMoved")))
        {
            return "node " + nodeId + " has not moved its agents to the new versions yet";
        }
        final Map<String, Object> versions = (Map<String, Object>)status.getOrDefault("versions", Map.of());
        final Map<String, Object> v = (Map<String, Object>)versions.get(sha);
        final Number agents = v == null ? null : (Number)v.get("agents");
        if (agents != null && agents.intValue() > 0)
        {
            return "node " + nodeId + " still has " + agents + " agents on it";
        }
        return null;
    }

    /** @return the status of every other live node, by node id; an empty map for one that did not answer. */
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> peerStatuses()
    {
        final Map<String, CompletableFuture<Map<String, Object>>> asked = new TreeMap<>();
        for (final NodeMetadata member : runtime.membership().members())
        {
            if (member.nodeId().equals(runtime.nodeId()))
            {
                continue;
            }
            asked.put(member.nodeId(), node.peerClient().sendAsync(
                    node.peerRequest(member.httpEndpoint(), "/admin/deployments?scope=local")
                        .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> r.statusCode() == 200 ?
                    (Map<String, Object>)Codecs.parseJsonAs(r.body(), Map.class) : Map.<String, Object>of())
                .exceptionally(ex -> Map.of()));
        }
        final Map<String, Map<String, Object>> statuses = new TreeMap<>();
        asked.forEach((id, future) -> statuses.put(id, future.join()));
        return statuses;
    }

    private Map<String, Integer> activationsBySha()
    {
        final Map<ClassLoader, Integer> byLoader = new java.util.HashMap<>();
        for (final GroupRuntime group : runtime.groupRuntimes().values())
        {
            group.activationsByLoader().forEach((l, n) -> byLoader.merge(l, n, Integer::sum));
        }
        final Map<String, Integer> bySha = new TreeMap<>();
        for (final LoadedBundle bundle : loaded.values())
        {
            bySha.put(bundle.sha256(), byLoader.getOrDefault(bundle.loader(), 0));
        }
        return bySha;
    }

    private boolean allMoved()
    {
        final long generation = runtime.registry().generation();
        return runtime.groupRuntimes().values().stream().allMatch(g -> g.migratedGeneration() == generation);
    }

    /** @return what this node runs: active versions, loaded versions with their agents, failures. */
    Map<String, Object> localStatus()
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        status.put("node", runtime.nodeId());
        final DeploymentsAgent.State known = record;
        status.put("recordGeneration", known == null ? -1 : known.generation());
        status.put("recordReadAtMs", recordReadAtMs);
        status.put("installed", new TreeMap<>(installed));
        status.put("agentsMoved", allMoved());
        final Map<String, Integer> counts = activationsBySha();
        final Map<String, Object> versions = new TreeMap<>();
        for (final LoadedBundle bundle : loaded.values())
        {
            final Map<String, Object> v = new LinkedHashMap<>();
            v.put("bundle", bundle.descriptor().name());
            v.put("version", bundle.descriptor().version());
            v.put("active", installed.containsValue(bundle.sha256()));
            v.put("agents", counts.getOrDefault(bundle.sha256(), 0));
            versions.put(bundle.sha256(), v);
        }
        status.put("versions", versions);
        status.put("failures", new TreeMap<>(failures));
        return status;
    }

    /**
     * @param name a bundle name, or null for all.
     * @return the record (versions, active ones) and every live node's status.
     */
    Map<String, Object> clusterStatus(final String name)
    {
        final DeploymentsAgent.State state = requireRecord();
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("generation", state.generation());
        final List<Map<String, Object>> bundles = new ArrayList<>();
        final Map<String, List<DeploymentsAgent.Version>> byName = new TreeMap<>();
        state.versions().values().forEach(v -> byName.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(v));
        byName.forEach((bundle, versions) ->
        {
            if (name != null && !name.equals(bundle))
            {
                return;
            }
            versions.sort(java.util.Comparator.comparingLong(DeploymentsAgent.Version::deployedAtMs));
            final Map<String, Object> b = new LinkedHashMap<>();
            b.put("bundle", bundle);
            final DeploymentsAgent.Version active = state.activeVersion(bundle);
            b.put("active", active == null ? null : active.version());
            b.put("versions", versions);
            bundles.add(b);
        });
        if (name != null && bundles.isEmpty())
        {
            return null;
        }
        view.put("bundles", bundles);
        final List<Map<String, Object>> nodes = new ArrayList<>();
        nodes.add(localStatus());
        peerStatuses().forEach((id, status) ->
        {
            if (status.isEmpty())
            {
                nodes.add(Map.of("node", id, "error", "did not answer"));
            }
            else
            {
                nodes.add(status);
            }
        });
        view.put("nodes", nodes);
        return view;
    }

    /**
     * @param sha a bundle's hash.
     * @return its bytes, when this node has them.
     */
    byte[] bytes(final String sha)
    {
        return BundleStore.isSha256(sha) ? store.read(sha) : null;
    }
}
