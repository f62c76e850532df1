package io.rookery.deploy.testbundle;

/**
 * What {@link EchoAgent} replies.
 *
 * @param text the message.
 */
public record Echo(String text)
{
}
