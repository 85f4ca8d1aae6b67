{#-
    Fails on every validity interval [lower_bound, upper_bound) (upper exclusive, null =
    open-ended) that is empty, or that overlaps the next interval of the same
    `partition_by` columns: an SCD2 table holds at most one version per key and instant.
-#}
{% test non_overlapping_intervals(model, partition_by, lower_bound, upper_bound) %}

with

ordered as (

    select
        {{ partition_by | join(', ') }},
        {{ lower_bound }} as lower_bound,
        {{ upper_bound }} as upper_bound,
        lead({{ lower_bound }}) over (
            partition by {{ partition_by | join(', ') }}
            order by {{ lower_bound }}
        ) as next_lower_bound

    from {{ model }}

)

select *
from ordered
where (upper_bound is not null and upper_bound <= lower_bound)
    or (next_lower_bound is not null and (upper_bound is null or upper_bound > next_lower_bound))

{% endtest %}
