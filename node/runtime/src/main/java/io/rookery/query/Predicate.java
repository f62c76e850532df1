package io.rookery.query;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A condition on an agent's state as JSON, in a small language:
 * <pre>
 *   expression := term ("or" term)*
 *   term       := factor ("and" factor)*
 *   factor     := "not" factor | "(" expression ")" | path "exists" | path op literal
 *   path       := "$" | name ("." name)*      names: letters, digits, '_' and '-'; not starting with a digit
 *   op         := "=" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;="
 *   literal    := number | "text" | 'text' | true | false | null
 * </pre>
 * {@code $} is the whole state, for agents whose state is a single value (a counter: {@code $ >= 10}).
 * Keywords are case-insensitive. A path that does not lead to a value compares as nothing: every
 * comparison with it is false except {@code !=}, which is true, and {@code exists} tells whether it is
 * there. Numbers compare as numbers, text as text (by code point), booleans and null only for
 * equality; comparing values of different kinds is false ({@code !=} true).
 * Examples: {@code balance > 100}, {@code status = "stuck" and attempts >= 3},
 * {@code not (owner.region = 'eu' or archived = true)}.
 * <p>
 * Immutable and thread-safe once parsed. Parsing is bounded: at most {@link #MAX_LENGTH}
 * characters and {@link #MAX_DEPTH} levels of nesting.
 */
public abstract class Predicate
{
    /** Longest expression accepted. */
    public static final int MAX_LENGTH = 2048;
    /** Deepest nesting of parentheses and {@code not} accepted. */
    public static final int MAX_DEPTH = 32;

    /** The predicate every state matches (an absent or blank expression). */
    public static final Predicate ALL = new Predicate()
    {
        public boolean test(final JsonNode state)
        {
            return true;
        }

        public String toString()
        {
            return "true";
        }
    };

    Predicate()
    {
    }

    /**
     * @param state an agent's state as JSON.
     * @return whether it matches.
     */
    public abstract boolean test(JsonNode state);

    /**
     * @param expression the condition, or null or blank for {@link #ALL}.
     * @return the parsed predicate.
     * @throws IllegalArgumentException saying what is wrong and where.
     */
    public static Predicate parse(final String expression)
    {
        if (expression == null || expression.isBlank())
        {
            return ALL;
        }
        if (expression.length() > MAX_LENGTH)
        {
            throw new IllegalArgumentException("a condition has at most " + MAX_LENGTH + " characters, not " +
                expression.length());
        }
        final Parser parser = new Parser(expression);
        final Predicate predicate = parser.expression(0);
        parser.expectEnd();
        return predicate;
    }

    /**
     * @param state an agent's state as JSON.
     * @param path  a dotted path of field names.
     * @return the value the path leads to, or null when it leads nowhere.
     */
    public static JsonNode resolve(final JsonNode state, final List<String> path)
    {
        JsonNode node = state;
        for (final String name : path)
        {
            if (node == null || !node.isObject())
            {
                return null;
            }
            node = node.get(name);
        }
        return node == null || node.isMissingNode() ? null : node;
    }

    /**
     * @param path a dotted path of field names, as in the language.
     * @return its names.
     * @throws IllegalArgumentException when it is not a path.
     */
    public static List<String> path(final String path)
    {
        final Parser parser = new Parser(path);
        final List<String> names = parser.path();
        parser.expectEnd();
        return names;
    }

    /** In the order the parser tries them: a two-character symbol before its one-character prefix. */
    private enum Op
    {
        NE("!="), LE("<="), GE(">="), EQ("="), LT("<"), GT(">");

        final String symbol;

        Op(final String symbol)
        {
            this.symbol = symbol;
        }
    }

    private static final class Comparison extends Predicate
    {
        private final List<String> path;
        private final Op op;
        private final JsonNode literal;
        private final BigDecimal number;

        Comparison(final List<String> path, final Op op, final JsonNode literal)
        {
            this.path = path;
            this.op = op;
            this.literal = literal;
            this.number = literal.isNumber() ? literal.decimalValue() : null;
        }

        public boolean test(final JsonNode state)
        {
            final JsonNode value = resolve(state, path);
            if (value == null)
            {
                return op == Op.NE;
            }
            final int order;
            if (number != null && value.isNumber())
            {
                order = value.decimalValue().compareTo(number);
            }
            else if (literal.isTextual() && value.isTextual())
            {
                order = value.textValue().compareTo(literal.textValue());
            }
            else if ((literal.isBoolean() && value.isBoolean()) || (literal.isNull() && value.isNull()))
            {
                final boolean equal = literal.isNull() || literal.booleanValue() == value.booleanValue();
                return op == Op.EQ ? equal : op == Op.NE && !equal;
            }
            else
            {
                return op == Op.NE;
            }
            return switch (op)
            {
                case EQ -> order == 0;
                case NE -> order != 0;
                case LT -> order < 0;
                case LE -> order <= 0;
                case GT -> order > 0;
                case GE -> order >= 0;
            };
        }

        public String toString()
        {
            return String.join(".", path) + " " + op.symbol + " " + literal;
        }
    }

    private static final class Exists extends Predicate
    {
        private final List<String> path;

        Exists(final List<String> path)
        {
            this.path = path;
        }

        public boolean test(final JsonNode state)
        {
            return resolve(state, path) != null;
        }

        public String toString()
        {
            return String.join(".", path) + " exists";
        }
    }

    private static final class Not extends Predicate
    {
        private final Predicate inner;

        Not(final Predicate inner)
        {
            this.inner = inner;
        }

        public boolean test(final JsonNode state)
        {
            return !inner.test(state);
        }

        public String toString()
        {
            return "not (" + inner + ")";
        }
    }

    private static final class Junction extends Predicate
    {
        private final boolean and;
        private final List<Predicate> parts;

        Junction(final boolean and, final List<Predicate> parts)
        {
            this.and = and;
            this.parts = List.copyOf(parts);
        }

        public boolean test(final JsonNode state)
        {
            for (final Predicate part : parts)
            {
                if (part.test(state) != and)
                {
                    return !and;
                }
            }
            return and;
        }

        public String toString()
        {
            final List<String> texts = new ArrayList<>();
            parts.forEach(p -> texts.add("(" + p + ")"));
            return String.join(and ? " and " : " or ", texts);
        }
    }

    /**
     * Recursive descent over the text, one character position at a time.
     */
    private static final class Parser
    {
        private final String text;
        private int position;

        Parser(final String text)
        {
            this.text = text;
        }

        Predicate expression(final int depth)
        {
            if (depth > MAX_DEPTH)
            {
                throw error("nesting deeper than " + MAX_DEPTH);
            }
            final List<Predicate> terms = new ArrayList<>();
            terms.add(term(depth));
            while (keyword("or"))
            {
                terms.add(term(depth));
            }
            return terms.size() == 1 ? terms.get(0) : new Junction(false, terms);
        }

        private Predicate term(final int depth)
        {
            final List<Predicate> factors = new ArrayList<>();
            factors.add(factor(depth));
            while (keyword("and"))
            {
                factors.add(factor(depth));
            }
            return factors.size() == 1 ? factors.get(0) : new Junction(true, factors);
        }

        private Predicate factor(final int depth)
        {
            if (depth > MAX_DEPTH)
            {
                throw error("nesting deeper than " + MAX_DEPTH);
            }
            if (keyword("not"))
            {
                return new Not(factor(depth + 1));
            }
            if (symbol("("))
            {
                final Predicate inner = expression(depth + 1);
                if (!symbol(")"))
                {
                    throw error("expected ')'");
                }
                return inner;
            }
            final List<String> path = path();
            if (keyword("exists"))
            {
                return new Exists(path);
            }
            final Op op = op();
            return new Comparison(path, op, literal());
        }

        List<String> path()
        {
            skipSpaces();
            if (position < text.length() && text.charAt(position) == '$')
            {
                position++;
                return List.of();
            }
            final List<String> names = new ArrayList<>();
            names.add(name());
            while (position < text.length() && text.charAt(position) == '.')
            {
                position++;
                names.add(name());
            }
            return names;
        }

        private String name()
        {
            skipSpaces();
            final int start = position;
            while (position < text.length() && (Character.isLetterOrDigit(text.charAt(position)) ||
                text.charAt(position) == '_' || text.charAt(position) == '-'))
            {
                position++;
            }
            if (start == position || Character.isDigit(text.charAt(start)))
            {
                position = start;
                throw error("expected a field name");
            }
            return text.substring(start, position);
        }

        private Op op()
        {
            skipSpaces();
            for (final Op op : Op.values())
            {
                if (text.startsWith(op.symbol, position))
                {
                    position += op.symbol.length();
                    return op;
                }
            }
            throw error("expected one of = != < <= > >= or exists");
        }

        private JsonNode literal()
        {
            skipSpaces();
            if (position >= text.length())
            {
                throw error("expected a number, text in quotes, true, false or null");
            }
            final char c = text.charAt(position);
            if (c == '"' || c == '\'')
            {
                final StringBuilder value = new StringBuilder();
                position++;
                while (position < text.length() && text.charAt(position) != c)
                {
                    if (text.charAt(position) == '\\' && position + 1 < text.length())
                    {
                        position++;
                    }
                    value.append(text.charAt(position++));
                }
                if (position >= text.length())
                {
                    throw error("text not closed with " + c);
                }
                position++;
                return com.fasterxml.jackson.databind.node.TextNode.valueOf(value.toString());
            }
            if (keyword("true"))
            {
                return com.fasterxml.jackson.databind.node.BooleanNode.TRUE;
            }
            if (keyword("false"))
            {
                return com.fasterxml.jackson.databind.node.BooleanNode.FALSE;
            }
            if (keyword("null"))
            {
                return com.fasterxml.jackson.databind.node.NullNode.instance;
            }
            final int start = position;
            while (position < text.length() && "+-.eE0123456789".indexOf(text.charAt(position)) >= 0)
            {
                position++;
            }
            try
            {
                return com.fasterxml.jackson.databind.node.DecimalNode.valueOf(
                    new BigDecimal(text.substring(start, position)));
            }
            catch (final NumberFormatException ex)
            {
                position = start;
                throw error("expected a number, text in quotes, true, false or null");
            }
        }

        private boolean keyword(final String word)
        {
            skipSpaces();
            final int end = position + word.length();
            if (end <= text.length() && text.substring(position, end).toLowerCase(Locale.ROOT).equals(word) &&
                (end == text.length() || !(Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')))
            {
                position = end;
                return true;
            }
            return false;
        }

        private boolean symbol(final String symbol)
        {
            skipSpaces();
            if (text.startsWith(symbol, position))
            {
                position += symbol.length();
                return true;
            }
            return false;
        }

        void expectEnd()
        {
            skipSpaces();
            if (position < text.length())
            {
                throw error("unexpected '" + text.substring(position, Math.min(text.length(), position + 10)) + "'");
            }
        }

        private void skipSpaces()
        {
            while (position < text.length() && Character.isWhitespace(text.charAt(position)))
            {
                position++;
            }
        }

        private IllegalArgumentException error(final String what)
        {
            return new IllegalArgumentException(what + " at position " + (position + 1) + " of condition: " + text);
        }
    }
}
