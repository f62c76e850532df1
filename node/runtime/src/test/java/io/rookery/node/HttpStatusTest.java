package io.rookery.node;

import io.rookery.transport.codecs.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HttpStatusTest
{
    @Test
    void everyOutcomeMapsToTheCodeClientsAndLoadBalancersExpect()
    {
        assertThat(HttpIngress.httpStatus(Status.OK)).isEqualTo(200);
        assertThat(HttpIngress.httpStatus(Status.BAD_REQUEST)).isEqualTo(400);
        assertThat(HttpIngress.httpStatus(Status.UNKNOWN_TYPE)).isEqualTo(404);
        assertThat(HttpIngress.httpStatus(Status.TOO_LARGE)).isEqualTo(413);
        assertThat(HttpIngress.httpStatus(Status.AGENT_ERROR)).isEqualTo(422);
        assertThat(HttpIngress.httpStatus(Status.OVERLOADED)).isEqualTo(429);
        assertThat(HttpIngress.httpStatus(Status.UNAVAILABLE)).isEqualTo(503);
        assertThat(HttpIngress.httpStatus(Status.REDIRECT)).isEqualTo(503);
        assertThat(HttpIngress.httpStatus(Status.TIMEOUT)).isEqualTo(504);
        assertThat(HttpIngress.httpStatus(Status.INTERNAL_ERROR)).isEqualTo(500);
    }
}
