package io.rookery.examples;

import java.util.Map;
import java.util.TreeMap;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * The queue-side record of a worker process: the tasks its queue assigned to it. The worker
 * process lists them, and completes each, which the agent reports to the queue.
 * <p>
 * Messages: from the queue {@code assign} and {@code cancel}; from the worker process
 * {@code list} and {@code complete} ({@code id}).
 */
public final class WorkerAgent implements AgentType<WorkerAgent.State, WorkerAgent.Command>
{
    /** The type name. */
    public static final String NAME = "worker";

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * A worker's tasks.
     *
     * @param tasks     task id to payload.
     * @param queues    task id to the queue that assigned it.
     * @param completed tasks completed by this worker, ever.
     */
    public record State(Map<String, String> tasks, Map<String, String> queues, long completed)
    {
    }

    /**
     * A message to a worker.
     *
     * @param op       assign, cancel, complete, list.
     * @param id       task id.
     * @param priority task priority.
     * @param payload  task payload.
     * @param queue    the queue the task belongs to.
     */
    public record Command(String op, String id, Integer priority, String payload, String queue)
    {
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
        return new State(Map.of(), Map.of(), 0);
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final String op = command.op() == null ? "" : command.op();
        final Map<String, String> tasks = new TreeMap<>(state.tasks());
        final Map<String, String> queues = new TreeMap<>(state.queues());
        switch (op)
        {
            case "assign" ->
            {
                tasks.put(command.id(), command.payload() == null ? "" : command.payload());
                queues.put(command.id(), command.queue());
                return new State(tasks, queues, state.completed());
            }
            case "cancel" ->
            {
                tasks.remove(command.id());
                queues.remove(command.id());
                return new State(tasks, queues, state.completed());
            }
            case "complete" ->
            {
                final String queue = queues.remove(command.id());
                if (tasks.remove(command.id()) == null || queue == null)
                {
                    throw new AgentException("task " + command.id() + " is not assigned to " + ctx.self().key());
                }
                ctx.send(AgentId.of(TaskQueueAgent.NAME, queue),
                    new TaskQueueAgent.Command("complete", command.id(), null, null, ctx.self().key()));
                ctx.reply(Map.of("completed", command.id()));
                return new State(tasks, queues, state.completed() + 1);
            }
            case "list" ->
            {
                ctx.reply(state);
                return state;
            }
            default -> throw new AgentException("unknown op '" + op + "'; expected list or complete");
        }
    }
}
