{#-
    Every email address known to be a rep's, lower-cased: the CRM owner's email and the
    addresses the rep roster lists for the rep. One rep per address: the CRM owner's own
    address wins over a roster line, an active owner over an archived one.
-#}

with

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

roster as (

    select * from {{ ref('stg_files__rep_roster') }}

),

owner_addresses as (

    select
        owner_id as rep_id,
        owner_email as email_address,
        'crm_owner' as address_source,
        case when is_archived then 2 else 1 end as source_rank,
        created_at as listed_at

    from owners
    where owner_email is not null
        and owner_email <> ''

),

roster_addresses as (

    select
        coalesce(roster.rep_id, owner_addresses.rep_id) as rep_id,
        roster.rep_email as email_address,
        'roster' as address_source,
        3 as source_rank,
        cast(roster.valid_from as {{ type_timestamp_tz() }}) as listed_at

    from roster
    left join owner_addresses
        on roster.rep_email = owner_addresses.email_address
    where roster.rep_email is not null
        and roster.rep_email <> ''

),

unioned as (

    select * from owner_addresses
    union all
    select * from roster_addresses

),

ranked as (

    select
        *,
        row_number() over (
            partition by email_address
            order by source_rank, listed_at desc nulls last, rep_id
        ) as address_rank

    from unioned
    where rep_id is not null

),

final as (

    select
        email_address,
        rep_id,
        address_source,
        {{ email_domain('email_address') }} as email_domain,
        address_source = 'crm_owner' as is_crm_owner_address

    from ranked
    where address_rank = 1

)

select * from final
