package io.rookery.examples;

import java.time.Duration;
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
 * A persistent task queue (one agent per queue). Tasks are submitted with a priority, assigned to
 * the least-loaded live worker (a {@link WorkerAgent}), and can be completed or cancelled. Workers
 * prove they are alive with heartbeats; a durable timer checks their leases, and the tasks of a
 * worker whose lease ran out (its process or node died) go back to the queue and are assigned to
 * another. Everything is durable agent state: tasks survive the loss of any minority of nodes and
 * a restart of the whole cluster.
 * <p>
 * Messages (JSON, {@code op} first): {@code register} and {@code heartbeat} ({@code worker}),
 * {@code submit} ({@code id}, {@code priority}, {@code payload}), {@code complete} ({@code id},
 * {@code worker}), {@code cancel} ({@code id}), {@code status}; {@code check} comes from its timer.
 */
public final class TaskQueueAgent implements AgentType<TaskQueueAgent.State, TaskQueueAgent.Command>
{
    /** The type name. */
    public static final String NAME = "taskqueue";
    /** How long a worker may go without a heartbeat before its tasks are reassigned. */
    public static final Duration LEASE = Duration.ofSeconds(6);

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * A task.
     *
     * @param id       unique id.
     * @param priority higher runs first.
     * @param order    submission order, for equal priorities.
     * @param payload  what to do.
     */
    public record Task(String id, int priority, long order, String payload)
    {
    }

    /**
     * A worker known to the queue.
     *
     * @param lastSeenMs time of its last heartbeat.
     * @param tasks      ids of the tasks assigned to it.
     * @param capacity   most tasks it takes at once (0: no limit).
     */
    public record Worker(long lastSeenMs, List<String> tasks, int capacity)
    {
        boolean full()
        {
            return capacity > 0 && tasks.size() >= capacity;
        }
    }

    /**
     * The queue.
     *
     * @param pending  tasks waiting for a worker, by id.
     * @param assigned tasks assigned, by id, with the worker they went to.
     * @param workers  live workers by id.
     * @param next     next submission order.
     * @param reassigned tasks moved off workers whose lease ran out, ever.
     * @param checking whether the lease-check timer is set.
     */
    public record State(
        Map<String, Task> pending,
        Map<String, Assignment> assigned,
        Map<String, Worker> workers,
        long next,
        long reassigned,
        boolean checking)
    {
    }

    /**
     * A task and the worker it was assigned to.
     *
     * @param task   the task.
     * @param worker the worker.
     */
    public record Assignment(Task task, String worker)
    {
    }

    /**
     * A message to the queue.
     *
     * @param op       what to do.
     * @param id       task id.
     * @param priority task priority (default 0).
     * @param payload  task payload.
     * @param worker   worker id.
     * @param capacity   for register: most tasks the worker takes at once (default: no limit).
     */
    public record Command(String op, String id, Integer priority, String payload, String worker, Integer capacity)
    {
        /**
         * @param op       what to do.
         * @param id       task id.
         * @param priority task priority.
         * @param payload  task payload.
         * @param worker   worker id.
         */
        public Command(final String op, final String id, final Integer priority, final String payload,
            final String worker)
        {
            this(op, id, priority, payload, worker, null);
        }
    }

    public String name()
    {
        return NAME;
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
        return new State(Map.of(), Map.of(), Map.of(), 1, 0, false);
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final Mutable q = new Mutable(state);
        final String op = command.op() == null ? "" : command.op();
        switch (op)
        {
            case "register", "heartbeat" ->
            {
                final String worker = required(command.worker(), "worker");
                final Worker known = q.workers.get(worker);
                final int capacity = command.capacity() != null ? command.capacity() : known == null ? 0 :
                    known.capacity();
                q.workers.put(worker, new Worker(ctx.nowMillis(), known == null ? List.of() : known.tasks(), capacity));
                ensureChecking(ctx, q);
                assign(ctx, q);
                ctx.reply(Map.of("worker", worker, "tasks", q.workers.get(worker).tasks()));
            }
            case "submit" ->
            {
                final String id = required(command.id(), "id");
                if (q.pending.containsKey(id) || q.assigned.containsKey(id))
                {
                    throw new AgentException("task " + id + " already exists");
                }
                q.pending.put(id, new Task(id, command.priority() == null ? 0 : command.priority(), q.next++,
                    command.payload() == null ? "" : command.payload()));
                ensureChecking(ctx, q);
                assign(ctx, q);
                final Assignment assignment = q.assigned.get(id);
                ctx.reply(Map.of("id", id, "assignedTo", assignment == null ? "" : assignment.worker()));
            }
            case "complete" ->
            {
                final String id = required(command.id(), "id");
                final Assignment assignment = q.assigned.remove(id);
                if (assignment == null)
                {
                    throw new AgentException("task " + id + " is not assigned");
                }
                unassign(q, assignment);
                assign(ctx, q);
                ctx.reply(Map.of("completed", id));
            }
            case "cancel" ->
            {
                final String id = required(command.id(), "id");
                if (q.pending.remove(id) == null)
                {
                    final Assignment assignment = q.assigned.remove(id);
                    if (assignment == null)
                    {
                        throw new AgentException("no task " + id);
                    }
                    unassign(q, assignment);
                    ctx.send(AgentId.of(WorkerAgent.NAME, assignment.worker()),
                        new WorkerAgent.Command("cancel", id, null, null, ctx.self().key()));
                    assign(ctx, q);
                }
                ctx.reply(Map.of("cancelled", id));
            }
            case "check" ->
            {
                final long expired = ctx.nowMillis() - LEASE.toMillis();
                for (final String worker : List.copyOf(q.workers.keySet()))
                {
                    if (q.workers.get(worker).lastSeenMs() < expired)
                    {
                        for (final String id : q.workers.remove(worker).tasks())
                        {
                            final Assignment assignment = q.assigned.remove(id);
                            if (assignment != null)
                            {
                                q.pending.put(id, assignment.task());
                                q.reassigned++;
                                ctx.send(AgentId.of(WorkerAgent.NAME, worker),
                                    new WorkerAgent.Command("cancel", id, null, null, ctx.self().key()));
                            }
                        }
                    }
                }
                assign(ctx, q);
                q.checking = !q.workers.isEmpty() || !q.pending.isEmpty();
                if (q.checking)
                {
                    ctx.setTimer("lease-check", LEASE.dividedBy(3), new Command("check", null, null, null, null));
                }
            }
            case "status" -> ctx.reply(state);
            default -> throw new AgentException("unknown op '" + op +
                "'; expected register, heartbeat, submit, complete, cancel or status");
        }
        return q.freeze();
    }

    private static void ensureChecking(final AgentContext ctx, final Mutable q)
    {
        if (!q.checking)
        {
            q.checking = true;
            ctx.setTimer("lease-check", LEASE.dividedBy(3), new Command("check", null, null, null, null));
        }
    }

    /**
     * Gives pending tasks, highest priority first, to the least-loaded live workers.
     */
    private static void assign(final AgentContext ctx, final Mutable q)
    {
        if (q.workers.isEmpty() || q.pending.isEmpty())
        {
            return;
        }
        final List<Task> pending = new ArrayList<>(q.pending.values());
        pending.sort(Comparator.comparingInt(Task::priority).reversed().thenComparingLong(Task::order));
        for (final Task task : pending)
        {
            String leastLoaded = null;
            for (final Map.Entry<String, Worker> candidate : q.workers.entrySet())
            {
                if (!candidate.getValue().full() && (leastLoaded == null ||
                    candidate.getValue().tasks().size() < q.workers.get(leastLoaded).tasks().size()))
                {
                    leastLoaded = candidate.getKey();
                }
            }
            if (leastLoaded == null)
            {
                return;
            }
            final Worker worker = q.workers.get(leastLoaded);
            final List<String> tasks = new ArrayList<>(worker.tasks());
            tasks.add(task.id());
            q.workers.put(leastLoaded, new Worker(worker.lastSeenMs(), tasks, worker.capacity()));
            q.pending.remove(task.id());
            q.assigned.put(task.id(), new Assignment(task, leastLoaded));
            ctx.send(AgentId.of(WorkerAgent.NAME, leastLoaded),
                new WorkerAgent.Command("assign", task.id(), task.priority(), task.payload(), ctx.self().key()));
        }
    }

    private static void unassign(final Mutable q, final Assignment assignment)
    {
        final Worker worker = q.workers.get(assignment.worker());
        if (worker != null)
        {
            final List<String> tasks = new ArrayList<>(worker.tasks());
            tasks.remove(assignment.task().id());
            q.workers.put(assignment.worker(), new Worker(worker.lastSeenMs(), tasks, worker.capacity()));
        }
    }

    private static String required(final String value, final String name)
    {
        if (value == null || value.isEmpty())
        {
            throw new AgentException("\"" + name + "\" is required");
        }
        return value;
    }

    private static final class Mutable
    {
        final Map<String, Task> pending;
        final Map<String, Assignment> assigned;
        final Map<String, Worker> workers;
        long next;
        long reassigned;
        boolean checking;

        Mutable(final State state)
        {
            pending = new TreeMap<>(state.pending());
            assigned = new TreeMap<>(state.assigned());
            workers = new TreeMap<>(state.workers());
            next = state.next();
            reassigned = state.reassigned();
            checking = state.checking();
        }

        State freeze()
        {
            return new State(pending, assigned, workers, next, reassigned, checking);
        }
    }
}
