/**
 * Example agents shipped with Rookery, registered through {@code META-INF/services}.
 */
package io.rookery.examples;
