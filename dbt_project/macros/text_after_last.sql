{#-
    The text after the last `delimiter` (a single character) in `expression`; the whole
    text when the delimiter does not occur. E.g. the domain of an address after its last
    '@', or the last segment of a folder path.
-#}
{% macro text_after_last(expression, delimiter) -%}
    {{ return(adapter.dispatch('text_after_last', 'sales_tracker')(expression, delimiter)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL both have reverse and split_part. -#}
{% macro default__text_after_last(expression, delimiter) -%}
    reverse(split_part(reverse({{ expression }}), '{{ delimiter }}', 1))
{%- endmacro %}

{#- The lower-cased domain of the email address in `expression`; null without an '@'. -#}
{% macro email_domain(expression) -%}
    case
        when {{ expression }} like '%@%'
            then lower({{ text_after_last(expression, '@') }})
    end
{%- endmacro %}
